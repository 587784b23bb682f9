-- Direct children of one org unit, in display order.
-- params: $org_code varchar
select
    code,
    name,
    level,
    parent_code,
    full_name,
    sort_order
from org_unit
where parent_code = $org_code
order by sort_order, code
