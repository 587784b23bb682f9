-- New version, time and author for every record a batch (or its undo) changed.
-- params: $batch_id varchar, $username varchar
update {entity_table} as e
set
    version = b.new_version,
    updated_at = current_timestamp,
    updated_by = $username
from record_before as b
where b.batch_id = $batch_id and e.id = b.entity_id and e.version = b.new_version - 1
