-- Set one value in app_setting (insert or replace).
-- params: $key varchar, $value varchar
insert into app_setting (key, value)
values ($key, $value)
on conflict (key) do update set value = excluded.value
