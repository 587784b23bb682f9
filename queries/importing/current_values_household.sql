-- Current values of the household records a batch matched, in long form (one row per record and
-- importable field; attrs fields by their code), for the field-by-field diff.
-- params: $batch_id varchar
insert into import_current (batch_id, entity_id, field, value)
with
current_values as (
    select
        e.id,
        cast(e.household_type as varchar) as household_type,
        cast(e.address as varchar) as household_address,
        cast(e.phone as varchar) as household_phone,
        json_extract_string(e.attrs, '$.household_annual_income') as household_annual_income
    from household as e
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
