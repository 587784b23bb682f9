-- What one visit did to each field (confirmed / corrected / filled), for progress and summaries.
-- params: $campaign_id varchar, $task_entity_id bigint, $grid_code varchar, $entities varchar[], $entity_ids bigint[], $fields varchar[], $actions varchar[], $old_values varchar[], $new_values varchar[], $batch_id varchar, $username varchar
insert into visit_field (
    campaign_id, task_entity_id, grid_code, entity, entity_id, field, action, old_value,
    new_value, batch_id, done_by
)
select
    $campaign_id,
    $task_entity_id,
    $grid_code,
    $entities[i],
    $entity_ids[i],
    $fields[i],
    $actions[i],
    $old_values[i],
    $new_values[i],
    $batch_id,
    $username
from range(1, len($fields) + 1) as r (i)
