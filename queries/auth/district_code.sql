-- The code of the district at the root of the org tree (the system caller's scope).
-- params: none
select code
from org_unit
where level = 'district'
order by code
limit 1
