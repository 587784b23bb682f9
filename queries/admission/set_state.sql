-- Move a request to a new state if nobody changed it since the caller read it ($version);
-- returns the new version (no row: it was changed meanwhile).
-- params: $id bigint, $version integer, $state varchar, $note varchar, $template_code varchar, $template_version integer, $field_map json
update report_request
set
    state = $state,
    note = $note,
    template_code = coalesce($template_code, template_code),
    template_version = coalesce($template_version, template_version),
    field_map = coalesce($field_map, field_map),
    version = version + 1,
    updated_at = current_timestamp
where id = $id and version = $version
returning version
