-- Who set a field value: its source (a catalogue source; hand entry and life events are console),
-- the write batch, the time and the user.
-- params: $entity varchar, $entity_id bigint, $field varchar, $source varchar, $batch_id varchar, $username varchar
insert into field_provenance (entity, entity_id, field, source, batch_id, set_by)
values ($entity, $entity_id, $field, $source, $batch_id, $username)
