-- Tags a batch ended come back with their first assignment (who and when).
-- params: $batch_id varchar
insert into entity_tag (entity, entity_id, tag_id, source, assigned_by, assigned_at)
select
    entity,
    entity_id,
    tag_id,
    'import',
    set_by,
    set_at
from tag_period
where end_batch = $batch_id
