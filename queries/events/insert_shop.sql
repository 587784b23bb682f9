-- A new shop registered as opened, version 1.
-- params: $id bigint, $name varchar, $uscc varchar, $category varchar, $legal_person varchar, $legal_person_id_number varchar, $phone varchar, $address varchar, $area_sqm decimal, $employees integer, $opened_on date, $inspection_status varchar, $fire_check_date date, $three_guarantees boolean, $grid_code varchar, $username varchar, $attrs json
insert into shop (
    id,
    name,
    uscc,
    category,
    legal_person,
    legal_person_id_number,
    phone,
    address,
    area_sqm,
    employees,
    opened_on,
    inspection_status,
    fire_check_date,
    three_guarantees,
    grid_code,
    status,
    version,
    updated_by,
    attrs
)
values (
    $id,
    $name,
    $uscc,
    $category,
    $legal_person,
    $legal_person_id_number,
    $phone,
    $address,
    $area_sqm,
    $employees,
    $opened_on,
    $inspection_status,
    $fire_check_date,
    $three_guarantees,
    $grid_code,
    'active',
    1,
    $username,
    $attrs
)
