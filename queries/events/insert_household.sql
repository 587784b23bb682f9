-- A new household set up by a life event (moving in as head, or a split), version 1.
-- params: $id bigint, $household_no varchar, $head_id bigint, $household_type varchar, $address varchar, $house_id bigint, $phone varchar, $grid_code varchar, $username varchar
insert into household (
    id,
    household_no,
    head_id,
    household_type,
    address,
    house_id,
    phone,
    grid_code,
    status,
    version,
    updated_by
)
values (
    $id,
    $household_no,
    $head_id,
    $household_type,
    $address,
    $house_id,
    $phone,
    $grid_code,
    'active',
    1,
    $username
)
