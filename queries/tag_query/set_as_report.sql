-- Mark (or unmark) one of the owner's saved queries as a report template for the report centre.
-- params: $id integer, $owner varchar, $as_report boolean
update saved_query
set
    as_report = $as_report,
    updated_at = current_timestamp
where id = $id and owner = $owner
