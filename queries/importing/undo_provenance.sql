-- Provenance after an undo: the batch's rows of restored fields go, the rows it replaced return.
-- params: $batch_id varchar, $undo_id varchar
delete from field_provenance as p
where
    p.batch_id = $batch_id
    and exists (
        select 1
        from import_change as c
        where c.batch_id = $undo_id and c.entity_id = p.entity_id and c.field = p.field
    )
