-- Stamp field values as verified in person: who and when, kept beside their source.
-- params: $entity varchar, $entity_id bigint, $fields varchar[], $username varchar
update field_provenance
set verified_by = $username, verified_at = current_timestamp
where entity = $entity and entity_id = $entity_id and list_contains($fields, field)
