-- Active tags in tree order (category, then depth-first by sort order) with depth and parent code
-- (as both `parent` and `parent_code`).
-- params: none
with recursive tree as (
    select
        id,
        [sort_order] as path,
        0 as depth
    from tag
    where parent_id is null and status = 'active'
    union all
    select
        child.id,
        list_append(tree.path, child.sort_order) as path,
        tree.depth + 1 as depth
    from tag as child
    inner join tree on child.parent_id = tree.id
    where child.status = 'active'
)

select
    tag.id,
    tag.code,
    tag.name,
    tag.category,
    category.name as category_name,
    tag.parent_id,
    parent.code as parent,
    parent.code as parent_code,
    tree.depth,
    tag.entity,
    tag.kind,
    tag.rule,
    tag.sensitivity,
    tag.description,
    tag.sort_order
from tree
inner join tag on tag.id = tree.id
left join tag_category as category on category.code = tag.category
left join tag as parent on parent.id = tag.parent_id
order by category.sort_order, tag.category, tree.path
