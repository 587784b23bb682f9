-- Save every editable household column at once, only if nobody saved since $version.
-- params: $id bigint, $org_code varchar, $version integer, $username varchar, $household_no varchar, $household_type varchar, $address varchar, $phone varchar, $attrs json
update household
set
    household_no = $household_no,
    household_type = $household_type,
    address = $address,
    phone = $phone,
    attrs = $attrs,
    version = version + 1,
    updated_at = current_timestamp,
    updated_by = $username
where id = $id and version = $version and starts_with(grid_code, $org_code)
returning version
