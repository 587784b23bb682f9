-- Point an active household at its new head, if unchanged since $version.
-- params: $id bigint, $org_code varchar, $version integer, $username varchar, $head_id bigint
update household
set
    head_id = $head_id,
    version = version + 1,
    updated_at = current_timestamp,
    updated_by = $username
where
    id = $id
    and version = $version
    and status = 'active'
    and starts_with(grid_code, $org_code)
returning version
