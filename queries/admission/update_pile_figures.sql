-- The reduction of a consolidation run as last computed.
-- params: $id bigint, $headers integer, $distinct_fields integer, $held_fields integer
update form_pile
set
    headers = $headers,
    distinct_fields = $distinct_fields,
    held_fields = $held_fields
where id = $id
