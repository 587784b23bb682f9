-- The field changes of a batch, each with whether undo may restore it: only while the value is
-- still the batch's (its provenance names the batch), else it is listed for review.
-- params: $batch_id varchar
select
    cl.entity,
    cl.entity_id,
    cl.field,
    cl.old_value,
    cl.new_value,
    coalesce(p.batch_id = $batch_id, false) as restorable
from change_log as cl
left join field_provenance as p
    on cl.entity = p.entity and cl.entity_id = p.entity_id and cl.field = p.field
where cl.batch_id = $batch_id and not starts_with(cl.field, '_')
