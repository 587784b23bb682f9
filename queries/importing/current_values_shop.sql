-- Current values of the shop records a batch matched, in long form (one row per record and
-- importable field; attrs fields by their code), for the field-by-field diff.
-- params: $batch_id varchar
insert into import_current (batch_id, entity_id, field, value)
with
current_values as (
    select
        e.id,
        cast(e.name as varchar) as shop_name,
        cast(e.category as varchar) as shop_category,
        cast(e.legal_person as varchar) as shop_legal_person,
        cast(e.legal_person_id_number as varchar) as shop_legal_person_id_number,
        cast(e.phone as varchar) as shop_phone,
        cast(e.address as varchar) as shop_address,
        cast(e.area_sqm as varchar) as shop_area_sqm,
        cast(e.employees as varchar) as shop_employees,
        cast(e.opened_on as varchar) as shop_opened_on,
        cast(e.inspection_status as varchar) as shop_inspection_status,
        cast(e.fire_check_date as varchar) as shop_fire_check_date,
        cast(e.three_guarantees as varchar) as shop_three_guarantees,
        json_extract_string(e.attrs, '$.shop_business_scope') as shop_business_scope
    from shop as e
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
