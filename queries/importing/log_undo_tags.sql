-- The tags an undo took back or gave back, in change_log.
-- params: $batch_id varchar, $username varchar, $source varchar
insert into change_log (username, entity, entity_id, field, old_value, new_value, source, batch_id, version)
select
    $username,
    p.entity,
    p.entity_id,
    '_tag',
    case when p.set_batch = $batch_id then g.name end,
    case when p.end_batch = $batch_id then g.name end,
    $source,
    'undo-' || $batch_id,
    null
from tag_period as p
inner join tag as g on p.tag_id = g.id
where p.set_batch = $batch_id or p.end_batch = $batch_id
