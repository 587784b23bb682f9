-- Shops in scope by category, status (在营 / 歇业) and inspection status.
-- params: $org_code varchar
select
    category,
    status,
    inspection_status,
    count(*) as shops
from shop
where starts_with(grid_code, $org_code)
group by category, status, inspection_status
