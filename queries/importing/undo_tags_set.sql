-- Tags a batch set that are still open: removed by its undo.
-- params: $batch_id varchar
delete from entity_tag as et
where
    et.source = 'import'
    and exists (
        select 1
        from tag_period as p
        where
            p.set_batch = $batch_id
            and p.end_batch is null
            and p.entity = et.entity
            and p.entity_id = et.entity_id
            and p.tag_id = et.tag_id
    )
