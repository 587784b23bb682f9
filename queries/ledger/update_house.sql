-- Save every editable house column at once, only if nobody saved since $version.
-- params: $id bigint, $org_code varchar, $version integer, $username varchar, $house_no varchar, $address varchar, $building varchar, $unit_no varchar, $room_no varchar, $area_sqm decimal, $use_type varchar, $structure varchar, $build_year integer, $property_type varchar, $owner_name varchar, $owner_id_number varchar, $owner_phone varchar, $occupancy varchar, $tenant_count integer, $rental_registered_at date, $fire_check_date date, $safety_level varchar, $attrs json
update house
set
    house_no = $house_no,
    address = $address,
    building = $building,
    unit_no = $unit_no,
    room_no = $room_no,
    area_sqm = $area_sqm,
    use_type = $use_type,
    structure = $structure,
    build_year = $build_year,
    property_type = $property_type,
    owner_name = $owner_name,
    owner_id_number = $owner_id_number,
    owner_phone = $owner_phone,
    occupancy = $occupancy,
    tenant_count = $tenant_count,
    rental_registered_at = $rental_registered_at,
    fire_check_date = $fire_check_date,
    safety_level = $safety_level,
    attrs = $attrs,
    version = version + 1,
    updated_at = current_timestamp,
    updated_by = $username
where id = $id and version = $version and starts_with(grid_code, $org_code)
returning version
