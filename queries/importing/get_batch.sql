-- One import batch inside the caller's org subtree (a batch belongs to the org it was loaded for).
-- params: $id varchar, $org_code varchar
select
    b.*,
    s.name as source_name
from import_batch as b
left join import_source as s on s.code = b.source
where b.id = $id and starts_with(b.org_code, $org_code)
