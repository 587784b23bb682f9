-- One value conflict inside the caller's subtree.
-- params: $id varchar, $org_code varchar
select *
from value_conflict
where id = $id and starts_with(grid_code, $org_code)
