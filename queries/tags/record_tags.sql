-- Tags one record carries, with how each was assigned, in taxonomy order.
-- params: $entity varchar, $entity_id bigint
select
    tag.code,
    tag.name,
    tag.kind,
    tag.rule,
    tag.sensitivity,
    tag.status,
    category.name as category_name,
    entity_tag.source,
    entity_tag.assigned_by,
    entity_tag.assigned_at
from entity_tag
inner join tag on entity_tag.tag_id = tag.id
left join tag_category as category on tag.category = category.code
where entity_tag.entity = $entity and entity_tag.entity_id = $entity_id
order by category.sort_order, tag.sort_order
