-- A campaign's field work inside the caller's subtree: per field, values confirmed, corrected and
-- filled (the summary workbook's second sheet).
-- params: $campaign_id varchar, $org_code varchar
select
    field,
    count(*) filter (where action = 'confirmed') as confirmed,
    count(*) filter (where action = 'corrected') as corrected,
    count(*) filter (where action = 'filled') as filled
from visit_field
where campaign_id = $campaign_id and starts_with(grid_code, $org_code)
group by field
order by field
