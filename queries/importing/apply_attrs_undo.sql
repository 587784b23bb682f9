-- Undo of attrs changes (fields without a column, kept columns attr:…): one JSON patch per record
-- back to the old values (a null removes the key); only restorable changes are staged.
-- params: $batch_id varchar, $entity varchar
update {entity_table} as e
set attrs = json_merge_patch(coalesce(e.attrs, '{}'), p.patch)
from (
    select
        c.entity_id,
        to_json(
            map_from_entries(
                list(
                    struct_pack(
                        k := case when starts_with(c.field, 'attr:') then substr(c.field, 6) else c.field end,
                        v := c.new_value
                    )
                )
            )
        ) as patch
    from import_change as c
    left join field_def as f on c.field = f.code and f.entity = $entity
    where
        c.batch_id = $batch_id
        and c.kind = 'apply'
        and (starts_with(c.field, 'attr:') or (f.code is not null and f.column_name is null))
    group by c.entity_id
) as p
where e.id = p.entity_id
