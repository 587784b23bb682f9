-- The provenance and tags of records an undo removed.
-- params: $entity varchar, $ids bigint[]
delete from {extra_table}
where entity = $entity and entity_id in (select unnest($ids))
