-- Items of one code list, in display order.
-- params: $list_code varchar
select
    code,
    name
from code_item
where list_code = $list_code
order by sort_order, code
