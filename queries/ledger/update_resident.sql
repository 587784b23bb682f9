-- Save every editable resident column at once, only if nobody saved since $version.
-- params: $id bigint, $org_code varchar, $version integer, $username varchar, $id_type varchar, $id_number varchar, $name varchar, $name_initials varchar, $sex varchar, $birth_date date, $ethnicity varchar, $political_status varchar, $education varchar, $marital_status varchar, $religion varchar, $phone varchar, $relation_to_head varchar, $residence_type varchar, $hukou_address varchar, $current_address varchar, $native_place varchar, $employment_status varchar, $employer varchar, $occupation varchar, $health_status varchar, $birth_order smallint, $arrival_date date, $residence_permit_no varchar, $move_in_date date, $attrs json
update resident
set
    id_type = $id_type,
    id_number = $id_number,
    name = $name,
    name_initials = $name_initials,
    sex = $sex,
    birth_date = $birth_date,
    ethnicity = $ethnicity,
    political_status = $political_status,
    education = $education,
    marital_status = $marital_status,
    religion = $religion,
    phone = $phone,
    relation_to_head = $relation_to_head,
    residence_type = $residence_type,
    hukou_address = $hukou_address,
    current_address = $current_address,
    native_place = $native_place,
    employment_status = $employment_status,
    employer = $employer,
    occupation = $occupation,
    health_status = $health_status,
    birth_order = $birth_order,
    arrival_date = $arrival_date,
    residence_permit_no = $residence_permit_no,
    move_in_date = $move_in_date,
    attrs = $attrs,
    version = version + 1,
    updated_at = current_timestamp,
    updated_by = $username
where id = $id and version = $version and starts_with(grid_code, $org_code)
returning version
