-- Fields changed again after a batch: undo leaves them and lists them for review.
-- params: $batch_id varchar, $source varchar
insert into value_conflict (
    id, batch_id, entity, entity_id, grid_code, field, current_value, current_source,
    incoming_value, incoming_source, kind
)
select
    'undo-' || $batch_id || '-' || cl.entity_id || '-' || cl.field,
    $batch_id,
    cl.entity,
    cl.entity_id,
    coalesce(r.grid_code, ''),
    cl.field,
    cl.new_value,
    coalesce(p.source, 'console'),
    cl.old_value,
    $source,
    'undo'
from change_log as cl
left join field_provenance as p
    on cl.entity = p.entity and cl.entity_id = p.entity_id and cl.field = p.field
left join resident as r on cl.entity = 'resident' and cl.entity_id = r.id
where
    cl.batch_id = $batch_id
    and not starts_with(cl.field, '_')
    and coalesce(p.batch_id, '') <> $batch_id
