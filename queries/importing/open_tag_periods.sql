-- A period per import tag a batch set: from the batch, until a later roster of its source ends it.
-- params: $batch_id varchar, $entity varchar, $source varchar, $username varchar
insert into tag_period (entity, entity_id, tag_id, source, set_batch, set_at, set_by)
select distinct
    $entity,
    coalesce(t.entity_id, r.entity_id),
    t.tag_id,
    $source,
    $batch_id,
    current_timestamp,
    $username
from import_tag as t
left join import_row as r on t.batch_id = r.batch_id and t.row_no = r.row_no
where
    t.batch_id = $batch_id
    and t.action = 'set'
    and (t.entity_id is not null or r.action = 'insert')
