-- All departments in display order.
-- params: none
select
    code,
    name
from department
order by sort_order, code
