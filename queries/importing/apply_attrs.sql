-- Apply a batch's (or an undo's) changes of fields kept in attrs (fields without a column, and
-- kept columns attr:…): one JSON patch per record (a null removes the key). A commit ($guarded)
-- applies only where the old value is still what the preview saw; an undo stages only
-- restorable changes.
-- params: $batch_id varchar, $entity varchar, $guarded boolean
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
    left join import_current as cur
        on c.batch_id = cur.batch_id and c.entity_id = cur.entity_id and c.field = cur.field
    where
        c.batch_id = $batch_id
        and c.kind = 'apply'
        and (starts_with(c.field, 'attr:') or (f.code is not null and f.column_name is null))
        and (not $guarded or cur.value is not distinct from c.old_value)
    group by c.entity_id
) as p
where e.id = p.entity_id
