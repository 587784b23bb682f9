-- Who set each value a batch wrote: its source, the batch and the time, for changed fields and
-- every field of the records it inserted.
-- params: $batch_id varchar, $entity varchar, $source varchar, $username varchar
insert into field_provenance (entity, entity_id, field, source, batch_id, set_by)
select
    $entity,
    entity_id,
    field,
    $source,
    $batch_id,
    $username
from import_change
where batch_id = $batch_id and kind = 'apply'
union all
select
    $entity,
    r.entity_id,
    v.field,
    $source,
    $batch_id,
    $username
from import_row as r
inner join import_value as v on r.batch_id = v.batch_id and r.row_no = v.row_no
where
    r.batch_id = $batch_id
    and r.action = 'insert'
    and v.field not in ('org', 'household_no', 'tag')
    and not starts_with(v.field, 'head:')
