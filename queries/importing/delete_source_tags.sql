-- Forget the import tags of a source that its catalogue entry no longer lists.
-- params: $source varchar, $tags varchar[]
delete from import_source_tag
where source = $source and not list_contains($tags, tag_code)
