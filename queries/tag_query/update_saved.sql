-- Overwrite the spec and sharing of one of the owner's saved queries.
-- params: $id integer, $owner varchar, $shared boolean, $spec varchar
update saved_query
set
    spec = $spec::json,
    shared = $shared,
    updated_at = current_timestamp
where id = $id and owner = $owner
