-- Stored ID-check counts of the grids in an org subtree, with the fingerprint they belong to.
-- params: $org_code varchar
select
    grid_code,
    people,
    latest,
    birth_mismatch,
    sex_mismatch
from dashboard_id_check
where starts_with(grid_code, $org_code)
