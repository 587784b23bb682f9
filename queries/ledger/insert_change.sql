-- One field change of one record, written in the same transaction as the change itself.
-- params: $username varchar, $entity varchar, $entity_id bigint, $field varchar, $old_value varchar, $new_value varchar, $source varchar, $batch_id varchar, $version integer
insert into change_log (
    username, entity, entity_id, field, old_value, new_value, source, batch_id, version
)
values (
    $username, $entity, $entity_id, $field, $old_value, $new_value, $source, $batch_id, $version
)
