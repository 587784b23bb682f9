-- Current values of the resident records a batch matched, in long form (one row per record and
-- importable field; attrs fields by their code), for the field-by-field diff.
-- params: $batch_id varchar
insert into import_current (batch_id, entity_id, field, value)
with
current_values as (
    select
        e.id,
        cast(e.id_type as varchar) as resident_id_type,
        cast(e.name as varchar) as resident_name,
        cast(e.sex as varchar) as resident_sex,
        cast(e.birth_date as varchar) as resident_birth_date,
        cast(e.ethnicity as varchar) as resident_ethnicity,
        cast(e.political_status as varchar) as resident_political_status,
        cast(e.education as varchar) as resident_education,
        cast(e.marital_status as varchar) as resident_marital_status,
        cast(e.religion as varchar) as resident_religion,
        cast(e.phone as varchar) as resident_phone,
        cast(e.relation_to_head as varchar) as resident_relation_to_head,
        cast(e.residence_type as varchar) as resident_residence_type,
        cast(e.hukou_address as varchar) as resident_hukou_address,
        cast(e.current_address as varchar) as resident_current_address,
        cast(e.native_place as varchar) as resident_native_place,
        cast(e.employment_status as varchar) as resident_employment_status,
        cast(e.employer as varchar) as resident_employer,
        cast(e.occupation as varchar) as resident_occupation,
        cast(e.health_status as varchar) as resident_health_status,
        cast(e.birth_order as varchar) as resident_birth_order,
        cast(e.arrival_date as varchar) as resident_arrival_date,
        cast(e.residence_permit_no as varchar) as resident_residence_permit_no,
        cast(e.move_in_date as varchar) as resident_move_in_date,
        json_extract_string(e.attrs, '$.resident_wechat') as resident_wechat,
        json_extract_string(e.attrs, '$.resident_emergency_contact') as resident_emergency_contact,
        json_extract_string(e.attrs, '$.resident_emergency_phone') as resident_emergency_phone,
        json_extract_string(e.attrs, '$.resident_plate_no') as resident_plate_no
    from resident as e
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
