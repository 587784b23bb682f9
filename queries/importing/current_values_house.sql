-- Current values of the house records a batch matched, in long form (one row per record and
-- importable field; attrs fields by their code), for the field-by-field diff.
-- params: $batch_id varchar
insert into import_current (batch_id, entity_id, field, value)
with
current_values as (
    select
        e.id,
        cast(e.address as varchar) as house_address,
        cast(e.building as varchar) as house_building,
        cast(e.unit_no as varchar) as house_unit_no,
        cast(e.room_no as varchar) as house_room_no,
        cast(e.area_sqm as varchar) as house_area_sqm,
        cast(e.use_type as varchar) as house_use_type,
        cast(e.structure as varchar) as house_structure,
        cast(e.build_year as varchar) as house_build_year,
        cast(e.property_type as varchar) as house_property_type,
        cast(e.owner_name as varchar) as house_owner_name,
        cast(e.owner_id_number as varchar) as house_owner_id_number,
        cast(e.owner_phone as varchar) as house_owner_phone,
        cast(e.occupancy as varchar) as house_occupancy,
        cast(e.tenant_count as varchar) as house_tenant_count,
        cast(e.rental_registered_at as varchar) as house_rental_registered_at,
        cast(e.fire_check_date as varchar) as house_fire_check_date,
        cast(e.safety_level as varchar) as house_safety_level,
        json_extract_string(e.attrs, '$.house_property_cert_no') as house_property_cert_no
    from house as e
    where e.id in (
        select entity_id
        from import_row
        where batch_id = $batch_id and action in ('match', 'update')
    )
)

select
    $batch_id,
    id,
    field,
    value
from current_values
unpivot include nulls (value for field in (columns(* exclude (id))))
