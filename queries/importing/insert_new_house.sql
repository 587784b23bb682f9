-- New house records of a batch, pivoted from the long cleaned values (ids allocated beforehand);
-- fields without a column and kept columns (attr:…) go into attrs.
-- params: $batch_id varchar, $username varchar, $entity varchar
insert into house (
    id,
    house_no,
    address,
    building,
    unit_no,
    room_no,
    area_sqm,
    use_type,
    structure,
    build_year,
    property_type,
    owner_name,
    owner_id_number,
    owner_phone,
    occupancy,
    tenant_count,
    rental_registered_at,
    fire_check_date,
    safety_level,
    grid_code,
    status,
    version,
    updated_by,
    attrs
)
select
    r.entity_id,
    r.key,
    max(v.value) filter (where v.field = 'house_address'),
    max(v.value) filter (where v.field = 'house_building'),
    max(v.value) filter (where v.field = 'house_unit_no'),
    max(v.value) filter (where v.field = 'house_room_no'),
    max(v.value) filter (where v.field = 'house_area_sqm'),
    max(v.value) filter (where v.field = 'house_use_type'),
    max(v.value) filter (where v.field = 'house_structure'),
    max(v.value) filter (where v.field = 'house_build_year'),
    max(v.value) filter (where v.field = 'house_property_type'),
    max(v.value) filter (where v.field = 'house_owner_name'),
    max(v.value) filter (where v.field = 'house_owner_id_number'),
    max(v.value) filter (where v.field = 'house_owner_phone'),
    max(v.value) filter (where v.field = 'house_occupancy'),
    max(v.value) filter (where v.field = 'house_tenant_count'),
    max(v.value) filter (where v.field = 'house_rental_registered_at'),
    max(v.value) filter (where v.field = 'house_fire_check_date'),
    max(v.value) filter (where v.field = 'house_safety_level'),
    r.grid_code,
    'active',
    1,
    $username,
    coalesce(
        to_json(
            map_from_entries(
                list(
                    struct_pack(
                        k := case when starts_with(v.field, 'attr:') then substr(v.field, 6) else v.field end,
                        v := v.value
                    )
                ) filter (where starts_with(v.field, 'attr:') or (fd.code is not null and fd.column_name is null))
            )
        ),
        '{}'
    )
from import_row as r
left join import_value as v on r.batch_id = v.batch_id and r.row_no = v.row_no
left join field_def as fd on v.field = fd.code and fd.entity = $entity
where r.batch_id = $batch_id and r.action = 'insert'
group by r.row_no, r.entity_id, r.key, r.grid_code
