-- Lowest and highest id of the active house records in one org subtree: lets tag scans skip
-- the row groups of other areas.
-- params: $org_code varchar
select
    min(id),
    max(id)
from house
where status = 'active' and starts_with(grid_code, $org_code)
