-- Records whose every change of the batch was undone and that nobody changed since get back the
-- version, time, author and attrs they had: the batch never happened to them.
-- params: $batch_id varchar, $undo_id varchar
update {entity_table} as e
set
    version = b.version,
    updated_at = b.updated_at,
    updated_by = b.updated_by,
    attrs = b.attrs
from record_before as b
where
    b.batch_id = $batch_id
    and e.id = b.entity_id
    and e.version = b.new_version
    and not exists (
        select 1
        from change_log as cl
        where
            cl.batch_id = $batch_id
            and cl.entity_id = b.entity_id
            and not starts_with(cl.field, '_')
            and not exists (
                select 1
                from import_change as c
                where c.batch_id = $undo_id and c.entity_id = cl.entity_id and c.field = cl.field
            )
    )
