-- Delete one of the owner's saved queries.
-- params: $id integer, $owner varchar
delete from saved_query
where id = $id and owner = $owner
