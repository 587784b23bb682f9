-- Forget the fields of a source that its catalogue entry no longer lists.
-- params: $source varchar, $fields varchar[]
delete from import_source_field
where source = $source and not list_contains($fields, field)
