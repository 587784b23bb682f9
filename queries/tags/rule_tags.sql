-- Active rule tags of one entity (or, entity null, of all) with their structured rules.
-- params: $entity varchar
select
    id,
    code,
    name,
    entity,
    rule
from tag
where
    kind = 'rule'
    and status = 'active'
    and rule is not null
    and ($entity::varchar is null or entity = $entity)
order by entity, sort_order, id
