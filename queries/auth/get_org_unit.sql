-- One org unit by code.
-- params: $code varchar
select
    code,
    name,
    level,
    parent_code,
    full_name
from org_unit
where code = $code
