-- Manual tags that can be put on records of an entity.
-- params: $entity varchar
select
    t.id,
    t.code,
    t.name,
    c.name as category_name,
    t.sensitivity
from tag as t
inner join tag_category as c on c.code = t.category
where t.entity = $entity and t.kind = 'manual' and t.status = 'active'
order by c.sort_order, t.sort_order
