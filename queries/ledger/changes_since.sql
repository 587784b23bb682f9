-- Field changes of one record saved after the version an editor loaded.
-- params: $entity varchar, $entity_id bigint, $version integer
select
    changed_at,
    username,
    field,
    old_value,
    new_value,
    version
from change_log
where entity = $entity and entity_id = $entity_id and version > $version
order by changed_at, field
