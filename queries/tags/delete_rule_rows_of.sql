-- Drop the rule-computed tag rows of some records of one entity before they are recomputed
-- ($lo/$hi bound the ids, so the scan skips row groups of other id ranges).
-- params: $entity varchar, $ids bigint[], $lo bigint, $hi bigint
delete from entity_tag
where
    entity = $entity
    and source = 'rule'
    and entity_id between $lo and $hi
    and entity_id in (select unnest($ids::bigint[]))
