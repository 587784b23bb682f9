-- Records whose every change turned out stale keep their version: forget their saved state.
-- params: $batch_id varchar
delete from record_before as b
where
    b.batch_id = $batch_id
    and not exists (
        select 1
        from import_change as c
        where c.batch_id = b.batch_id and c.entity_id = b.entity_id and c.kind = 'apply'
    )
