-- Bring back the provenance rows a batch replaced, for the fields its undo restored.
-- params: $batch_id varchar, $undo_id varchar, $entity varchar
insert into field_provenance (entity, entity_id, field, source, batch_id, set_at, set_by, verified_by, verified_at)
select
    b.entity,
    b.entity_id,
    b.field,
    b.source,
    b.prior_batch,
    b.set_at,
    b.set_by,
    b.verified_by,
    b.verified_at
from provenance_before as b
where
    b.batch_id = $batch_id
    and b.entity = $entity
    and exists (
        select 1
        from import_change as c
        where c.batch_id = $undo_id and c.entity_id = b.entity_id and c.field = b.field
    )
