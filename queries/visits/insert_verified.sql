-- A confirmed value without provenance (typed before 数据回流) counts as a console value; it gets
-- its provenance row with the stamp.
-- params: $entity varchar, $entity_id bigint, $fields varchar[], $username varchar
insert into field_provenance (entity, entity_id, field, source, set_by, verified_by, verified_at)
select
    $entity,
    $entity_id,
    f.field,
    'console',
    'system',
    $username,
    current_timestamp
from (select unnest($fields) as field) as f
where not exists (
    select 1
    from field_provenance as p
    where p.entity = $entity and p.entity_id = $entity_id and p.field = f.field
)
