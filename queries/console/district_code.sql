-- The root of the org tree (the district): the scope of the command line and of system jobs.
-- params: none
select code
from org_unit
where level = 'district'
order by code
limit 1
