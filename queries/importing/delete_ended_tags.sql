-- Remove the import tags a roster ended (their periods keep when and by which batch).
-- params: $batch_id varchar, $entity varchar
delete from entity_tag as et
where
    et.entity = $entity
    and et.source = 'import'
    and exists (
        select 1
        from import_tag as t
        where
            t.batch_id = $batch_id
            and t.action = 'end'
            and t.entity_id = et.entity_id
            and t.tag_id = et.tag_id
    )
