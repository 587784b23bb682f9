-- Open and closed shops per grid, with recent updates, for the unit comparison.
-- params: $org_code varchar, $since timestamp
select
    grid_code,
    count(*) filter (where status = 'active') as open_shops,
    count(*) filter (where status = 'closed') as closed_shops,
    count(*) filter (where updated_at >= $since) as updated_recently
from shop
where starts_with(grid_code, $org_code)
group by grid_code
