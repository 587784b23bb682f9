-- One department by code.
-- params: $code varchar
select
    code,
    name
from department
where code = $code
