-- Streets of the org tree in code order.
-- params: none
select
    code,
    name
from org_unit
where level = 'street'
order by code
