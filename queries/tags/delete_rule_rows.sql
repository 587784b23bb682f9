-- Drop every rule-computed tag row of one entity before a full refresh re-inserts them.
-- params: $entity varchar
delete from entity_tag
where entity = $entity and source = 'rule'
