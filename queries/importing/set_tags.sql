-- The import tags a batch sets (records inserted by it get their ids from import_row).
-- params: $batch_id varchar, $entity varchar, $username varchar
insert into entity_tag (entity, entity_id, tag_id, source, assigned_by)
select distinct
    $entity,
    coalesce(t.entity_id, r.entity_id),
    t.tag_id,
    'import',
    $username
from import_tag as t
left join import_row as r on t.batch_id = r.batch_id and t.row_no = r.row_no
where
    t.batch_id = $batch_id
    and t.action = 'set'
    and (t.entity_id is not null or r.action = 'insert')
