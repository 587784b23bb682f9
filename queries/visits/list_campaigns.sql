-- Campaigns a caller takes part in: those over the caller's unit or inside it, newest first.
-- params: $org_code varchar
select *
from campaign
where starts_with(org_code, $org_code) or starts_with($org_code, org_code)
order by state = 'closed', created_at desc
