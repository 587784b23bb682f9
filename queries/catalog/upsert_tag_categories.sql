-- Insert or update tag categories given as parallel lists.
-- params: $code varchar[], $name varchar[], $sort_order integer[]
insert into tag_category (code, name, sort_order)
select
    unnest($code::varchar[]),
    unnest($name::varchar[]),
    unnest($sort_order::integer[])
on conflict (code) do update set
    name = excluded.name,
    sort_order = excluded.sort_order
