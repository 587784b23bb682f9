-- Move a resident into another household (split or merge), if unchanged since $version.
-- params: $id bigint, $org_code varchar, $version integer, $username varchar, $household_id bigint, $grid_code varchar, $house_id bigint, $current_address varchar, $relation_to_head varchar
update resident
set
    household_id = $household_id,
    grid_code = $grid_code,
    house_id = $house_id,
    current_address = $current_address,
    relation_to_head = $relation_to_head,
    version = version + 1,
    updated_at = current_timestamp,
    updated_by = $username
where
    id = $id
    and version = $version
    and status = 'active'
    and starts_with(grid_code, $org_code)
returning version
