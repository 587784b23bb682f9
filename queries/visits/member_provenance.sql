-- Provenance of the fields of a few records (a household's members), with source names and the
-- name of whoever verified them.
-- params: $entity varchar, $ids bigint[]
select
    p.entity_id,
    p.field,
    p.source,
    coalesce(s.name, p.source) as source_name,
    p.set_at,
    p.verified_at,
    coalesce(u.name, p.verified_by) as verified_by
from field_provenance as p
left join import_source as s on p.source = s.code
left join app_user as u on p.verified_by = u.username
where p.entity = $entity and list_contains($ids, p.entity_id)
