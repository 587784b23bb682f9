-- Retire an active shop as closed (歇业) on a date, if unchanged since $version.
-- params: $id bigint, $org_code varchar, $version integer, $username varchar, $closed_on date
update shop
set
    status = 'closed',
    closed_on = $closed_on,
    version = version + 1,
    updated_at = current_timestamp,
    updated_by = $username
where
    id = $id
    and version = $version
    and status = 'active'
    and starts_with(grid_code, $org_code)
returning version
