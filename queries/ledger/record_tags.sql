-- Tags carried by one record, with how each was set.
-- params: $entity varchar, $entity_id bigint
select
    t.id as tag_id,
    t.code,
    t.name,
    c.name as category_name,
    t.kind,
    t.sensitivity,
    et.source,
    et.assigned_by,
    et.assigned_at
from entity_tag as et
inner join tag as t on t.id = et.tag_id
inner join tag_category as c on c.code = t.category
where et.entity = $entity and et.entity_id = $entity_id
order by c.sort_order, t.sort_order
