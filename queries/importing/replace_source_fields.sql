-- The fields a source may set with their priorities, replacing what the catalogue said before.
-- params: $source varchar, $fields varchar[], $priorities integer[]
insert into import_source_field (source, field, priority)
select
    $source,
    unnest($fields),
    unnest($priorities)
on conflict (source, field) do update set priority = excluded.priority
