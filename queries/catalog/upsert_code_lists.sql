-- Insert or update code lists given as parallel lists.
-- params: $code varchar[], $name varchar[], $standard varchar[]
insert into code_list (code, name, standard)
select
    unnest($code::varchar[]),
    unnest($name::varchar[]),
    unnest($standard::varchar[])
on conflict (code) do update set
    name = excluded.name,
    standard = excluded.standard
