-- Insert or update org units given as parallel lists (element i of each list is one unit).
-- params: $code varchar[], $name varchar[], $level varchar[], $parent_code varchar[], $full_name varchar[], $sort_order integer[]
insert into org_unit (code, name, level, parent_code, full_name, sort_order)
select
    unnest($code::varchar[]),
    unnest($name::varchar[]),
    unnest($level::varchar[]),
    unnest($parent_code::varchar[]),
    unnest($full_name::varchar[]),
    unnest($sort_order::integer[])
on conflict (code) do update set
    name = excluded.name,
    level = excluded.level,
    parent_code = excluded.parent_code,
    full_name = excluded.full_name,
    sort_order = excluded.sort_order
