-- The import tags a source owns.
-- params: $source varchar, $tags varchar[]
insert into import_source_tag (source, tag_code)
select
    $source,
    unnest($tags)
on conflict do nothing
