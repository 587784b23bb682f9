-- Active shops in the caller's org subtree already registered with a credit code.
-- params: $org_code varchar, $uscc varchar
select count(*)
from shop
where
    starts_with(grid_code, $org_code)
    and uscc = $uscc
    and status = 'active'
