-- One shop inside the caller's org subtree (no row = absent or out of scope).
-- params: $id bigint, $org_code varchar
select *
from shop
where id = $id and starts_with(grid_code, $org_code)
