-- Retire an active household nobody lives in any more (销户), if unchanged since $version.
-- params: $id bigint, $org_code varchar, $version integer, $username varchar
update household
set
    status = 'dissolved',
    version = version + 1,
    updated_at = current_timestamp,
    updated_by = $username
where
    id = $id
    and version = $version
    and status = 'active'
    and starts_with(grid_code, $org_code)
returning version
