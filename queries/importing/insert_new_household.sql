-- New household records of a batch, pivoted from the long cleaned values (ids allocated beforehand);
-- fields without a column and kept columns (attr:…) go into attrs.
-- params: $batch_id varchar, $username varchar, $entity varchar
insert into household (
    id,
    household_no,
    household_type,
    address,
    phone,
    house_id,
    grid_code,
    status,
    version,
    updated_by,
    attrs
)
select
    r.entity_id,
    r.key,
    max(v.value) filter (where v.field = 'household_type'),
    max(v.value) filter (where v.field = 'household_address'),
    max(v.value) filter (where v.field = 'household_phone'),
    r.house_id,
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
group by r.row_no, r.entity_id, r.key, r.house_id, r.grid_code
