-- Bump the data-version counter that result caches keep in their key.
-- params: none
insert into app_setting (key, value)
values ('data_version', '1')
on conflict (key) do update set value = cast(cast(app_setting.value as bigint) + 1 as varchar)
