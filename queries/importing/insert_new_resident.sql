-- New resident records of a batch, pivoted from the long cleaned values (ids allocated beforehand);
-- fields without a column and kept columns (attr:…) go into attrs.
-- params: $batch_id varchar, $username varchar, $entity varchar
insert into resident (
    id,
    id_number,
    id_type,
    name,
    sex,
    birth_date,
    ethnicity,
    political_status,
    education,
    marital_status,
    religion,
    phone,
    relation_to_head,
    residence_type,
    hukou_address,
    current_address,
    native_place,
    employment_status,
    employer,
    occupation,
    health_status,
    birth_order,
    arrival_date,
    residence_permit_no,
    move_in_date,
    household_id,
    house_id,
    name_initials,
    grid_code,
    status,
    version,
    updated_by,
    attrs
)
with
initials as (
    select
        row_no,
        string_agg(p.initial, '' order by pos) as initials
    from (
        select
            row_no,
            generate_subscripts(string_split(value, ''), 1) as pos,
            unnest(string_split(value, '')) as ch
        from import_value
        where batch_id = $batch_id and field = 'resident_name'
    ) as chars
    inner join pinyin_initial as p on chars.ch = p.ch
    group by row_no
)

select
    r.entity_id,
    r.key,
    coalesce(max(v.value) filter (where v.field = 'resident_id_type'), '01'),
    max(v.value) filter (where v.field = 'resident_name'),
    coalesce(
        max(v.value) filter (where v.field = 'resident_sex'),
        case when cast(substr(r.key, 17, 1) as integer) % 2 = 1 then '1' else '2' end
    ),
    coalesce(
        max(v.value) filter (where v.field = 'resident_birth_date'),
        substr(r.key, 7, 4) || '-' || substr(r.key, 11, 2) || '-' || substr(r.key, 13, 2)
    ),
    max(v.value) filter (where v.field = 'resident_ethnicity'),
    max(v.value) filter (where v.field = 'resident_political_status'),
    max(v.value) filter (where v.field = 'resident_education'),
    max(v.value) filter (where v.field = 'resident_marital_status'),
    max(v.value) filter (where v.field = 'resident_religion'),
    max(v.value) filter (where v.field = 'resident_phone'),
    max(v.value) filter (where v.field = 'resident_relation_to_head'),
    max(v.value) filter (where v.field = 'resident_residence_type'),
    max(v.value) filter (where v.field = 'resident_hukou_address'),
    max(v.value) filter (where v.field = 'resident_current_address'),
    max(v.value) filter (where v.field = 'resident_native_place'),
    max(v.value) filter (where v.field = 'resident_employment_status'),
    max(v.value) filter (where v.field = 'resident_employer'),
    max(v.value) filter (where v.field = 'resident_occupation'),
    max(v.value) filter (where v.field = 'resident_health_status'),
    max(v.value) filter (where v.field = 'resident_birth_order'),
    max(v.value) filter (where v.field = 'resident_arrival_date'),
    max(v.value) filter (where v.field = 'resident_residence_permit_no'),
    max(v.value) filter (where v.field = 'resident_move_in_date'),
    r.household_id,
    r.house_id,
    any_value(i.initials),
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
left join initials as i on r.row_no = i.row_no
where r.batch_id = $batch_id and r.action = 'insert'
group by r.row_no, r.entity_id, r.key, r.household_id, r.house_id, r.grid_code
