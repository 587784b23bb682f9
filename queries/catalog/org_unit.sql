-- One org unit by code, or no row.
-- params: $code varchar
select
    code,
    name,
    level,
    parent_code,
    full_name,
    sort_order
from org_unit
where code = $code
