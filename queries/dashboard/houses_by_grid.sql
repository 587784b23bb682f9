-- Active houses per grid by use and occupancy (自住 / 出租 / 空置 / 群租), with recent updates.
-- params: $org_code varchar, $since timestamp
select
    grid_code,
    use_type,
    occupancy,
    count(*) as houses,
    count(*) filter (where updated_at >= $since) as updated_recently
from house
where starts_with(grid_code, $org_code) and status = 'active'
group by grid_code, use_type, occupancy
