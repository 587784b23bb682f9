-- Drop the provenance rows a batch replaces (kept in provenance_before).
-- params: $batch_id varchar, $entity varchar
delete from field_provenance as p
where
    p.entity = $entity
    and exists (
        select 1
        from import_change as c
        where c.batch_id = $batch_id and c.kind = 'apply' and c.entity_id = p.entity_id and c.field = p.field
    )
