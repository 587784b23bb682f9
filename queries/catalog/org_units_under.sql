-- Org units in the subtree of one org code (the unit itself included), optionally one level, in tree order.
-- params: $org_code varchar, $level varchar
select
    code,
    name,
    level,
    parent_code,
    full_name,
    sort_order
from org_unit
where
    starts_with(code, $org_code)
    and ($level::varchar is null or level = $level)
order by code
