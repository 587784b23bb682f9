-- Insert or update tags given as parallel lists; ids are kept by code, status is left to the admin;
-- the rule of an existing tag is left to catalog.load_catalog (it may have been edited here).
-- params: $id integer[], $code varchar[], $name varchar[], $category varchar[], $parent_id integer[], $entity varchar[], $kind varchar[], $rule varchar[], $sensitivity varchar[], $description varchar[], $sort_order integer[]
insert into tag (
    id,
    code,
    name,
    category,
    parent_id,
    entity,
    kind,
    rule,
    catalog_rule,
    sensitivity,
    description,
    sort_order
)
select
    unnest($id::integer[]),
    unnest($code::varchar[]),
    unnest($name::varchar[]),
    unnest($category::varchar[]),
    unnest($parent_id::integer[]),
    unnest($entity::varchar[]),
    unnest($kind::varchar[]),
    unnest($rule::varchar[])::json,
    unnest($rule::varchar[])::json,
    unnest($sensitivity::varchar[]),
    unnest($description::varchar[]),
    unnest($sort_order::integer[])
on conflict (id) do update set
    name = excluded.name,
    category = excluded.category,
    parent_id = excluded.parent_id,
    entity = excluded.entity,
    kind = excluded.kind,
    sensitivity = excluded.sensitivity,
    description = excluded.description,
    sort_order = excluded.sort_order
