-- Before a batch replaces the provenance of the fields it changes, keep the old rows (for undo).
-- params: $batch_id varchar, $entity varchar
insert into provenance_before (
    batch_id, entity, entity_id, field, source, prior_batch, set_at, set_by, verified_by, verified_at
)
select
    $batch_id,
    p.entity,
    p.entity_id,
    p.field,
    p.source,
    p.batch_id,
    p.set_at,
    p.set_by,
    p.verified_by,
    p.verified_at
from field_provenance as p
inner join import_change as c on p.entity_id = c.entity_id and p.field = c.field
where p.entity = $entity and c.batch_id = $batch_id and c.kind = 'apply'
