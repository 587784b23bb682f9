-- Retire an active resident (moved out or deceased) with the event's date, if unchanged since $version.
-- params: $id bigint, $org_code varchar, $version integer, $username varchar, $status varchar, $move_out_date date, $death_date date, $attrs json
update resident
set
    status = $status,
    move_out_date = coalesce($move_out_date, move_out_date),
    death_date = coalesce($death_date, death_date),
    attrs = $attrs,
    version = version + 1,
    updated_at = current_timestamp,
    updated_by = $username
where
    id = $id
    and version = $version
    and status = 'active'
    and starts_with(grid_code, $org_code)
returning version
