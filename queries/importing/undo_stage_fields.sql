-- Stage a batch's restorable field changes as an undo diff (new → old) in import_change under the
-- undo's own id, so the commit's update statements can run it back.
-- params: $batch_id varchar, $undo_id varchar
insert into import_change (batch_id, row_no, entity_id, field, old_value, new_value, old_source, kind)
select
    $undo_id,
    0,
    cl.entity_id,
    cl.field,
    cl.new_value,
    cl.old_value,
    p.source,
    'apply'
from change_log as cl
inner join field_provenance as p
    on cl.entity = p.entity and cl.entity_id = p.entity_id and cl.field = p.field
where cl.batch_id = $batch_id and not starts_with(cl.field, '_') and p.batch_id = $batch_id
