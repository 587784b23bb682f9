-- Put a manual tag on a record unless it already carries it.
-- params: $entity varchar, $entity_id bigint, $tag_id integer, $username varchar
insert into entity_tag (entity, entity_id, tag_id, source, assigned_by)
select $entity, $entity_id, $tag_id, 'manual', $username
where not exists (
    select 1 from entity_tag
    where entity = $entity and entity_id = $entity_id and tag_id = $tag_id
)
