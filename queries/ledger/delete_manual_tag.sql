-- Take a manual tag off a record.
-- params: $entity varchar, $entity_id bigint, $tag_id integer
delete from entity_tag
where entity = $entity and entity_id = $entity_id and tag_id = $tag_id and source = 'manual'
