-- Before a batch (or an undo) bumps the versions of the records it changes, keep what they were.
-- params: $batch_id varchar, $entity varchar
insert into record_before (batch_id, entity, entity_id, version, updated_at, updated_by, attrs, new_version)
select
    $batch_id,
    $entity,
    e.id,
    e.version,
    e.updated_at,
    e.updated_by,
    e.attrs,
    e.version + 1
from {entity_table} as e
where e.id in (select entity_id from import_change where batch_id = $batch_id and kind = 'apply')
