-- Who set each field of one record (source name, batch, time, verification), for the record view.
-- params: $entity varchar, $entity_id bigint
select
    p.field,
    p.source,
    coalesce(s.name, p.source) as source_name,
    p.batch_id,
    p.set_at,
    p.set_by,
    coalesce(u.name, p.verified_by) as verified_by,
    p.verified_at,
    b.file_name
from field_provenance as p
left join import_source as s on p.source = s.code
left join import_batch as b on p.batch_id = b.id
left join app_user as u on p.verified_by = u.username
where p.entity = $entity and p.entity_id = $entity_id
