-- Insert or update code list items given as parallel lists.
-- params: $list_code varchar[], $code varchar[], $name varchar[], $sort_order integer[]
insert into code_item (list_code, code, name, sort_order)
select
    unnest($list_code::varchar[]),
    unnest($code::varchar[]),
    unnest($name::varchar[]),
    unnest($sort_order::integer[])
on conflict (list_code, code) do update set
    name = excluded.name,
    sort_order = excluded.sort_order
