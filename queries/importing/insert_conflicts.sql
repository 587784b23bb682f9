-- Differences a batch does not apply become review items: equal priorities disagreeing, the same
-- key with another name, a lower priority over a higher one, a field changed after the preview.
-- params: $batch_id varchar, $entity varchar, $source varchar
insert into value_conflict (
    id, batch_id, entity, entity_id, grid_code, field, row_no, current_value, current_source,
    incoming_value, incoming_source, kind
)
select
    $batch_id || '-' || c.row_no || '-' || c.field,
    $batch_id,
    $entity,
    c.entity_id,
    r.grid_code,
    c.field,
    c.row_no,
    c.old_value,
    c.old_source,
    c.new_value,
    $source,
    c.kind
from import_change as c
inner join import_row as r on c.batch_id = r.batch_id and c.row_no = r.row_no
where c.batch_id = $batch_id and c.kind in ('conflict', 'identity', 'lower', 'stale')
