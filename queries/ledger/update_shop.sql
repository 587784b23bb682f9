-- Save every editable shop column at once, only if nobody saved since $version.
-- params: $id bigint, $org_code varchar, $version integer, $username varchar, $name varchar, $uscc varchar, $category varchar, $legal_person varchar, $legal_person_id_number varchar, $phone varchar, $address varchar, $area_sqm decimal, $employees integer, $opened_on date, $inspection_status varchar, $fire_check_date date, $three_guarantees boolean, $attrs json
update shop
set
    name = $name,
    uscc = $uscc,
    category = $category,
    legal_person = $legal_person,
    legal_person_id_number = $legal_person_id_number,
    phone = $phone,
    address = $address,
    area_sqm = $area_sqm,
    employees = $employees,
    opened_on = $opened_on,
    inspection_status = $inspection_status,
    fire_check_date = $fire_check_date,
    three_guarantees = $three_guarantees,
    attrs = $attrs,
    version = version + 1,
    updated_at = current_timestamp,
    updated_by = $username
where id = $id and version = $version and starts_with(grid_code, $org_code)
returning version
