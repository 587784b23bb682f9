-- One department's name by code, or no row.
-- params: $code varchar
select name
from department
where code = $code
