-- One campaign a caller takes part in (over the caller's unit or inside it).
-- params: $id varchar, $org_code varchar
select *
from campaign
where id = $id and (starts_with(org_code, $org_code) or starts_with($org_code, org_code))
