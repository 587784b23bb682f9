-- Active households per grid and how many were updated since $since (数据大屏 网格负荷).
-- params: $org_code varchar, $since timestamp
select
    grid_code,
    count(*) as households,
    count(*) filter (where updated_at >= $since) as updated_recently
from household
where starts_with(grid_code, $org_code) and status = 'active'
group by grid_code
