-- The whole change history of one record, newest first.
-- params: $entity varchar, $entity_id bigint
select
    changed_at,
    username,
    field,
    old_value,
    new_value,
    source,
    batch_id,
    version
from change_log
where entity = $entity and entity_id = $entity_id
order by changed_at desc, field
