-- Forget who set a field before a new value replaces it (the write path keeps one row per field).
-- params: $entity varchar, $entity_id bigint, $field varchar
delete from field_provenance
where entity = $entity and entity_id = $entity_id and field = $field
