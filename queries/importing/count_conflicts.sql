-- How many value conflicts of a state wait inside the caller's subtree.
-- params: $org_code varchar, $state varchar
select count(*)
from value_conflict
where starts_with(grid_code, $org_code) and state = $state
