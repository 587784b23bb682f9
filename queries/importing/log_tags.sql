-- The tags a batch set and ended, in change_log (field _tag: old → new tag name).
-- params: $batch_id varchar, $entity varchar, $username varchar, $source varchar
insert into change_log (username, entity, entity_id, field, old_value, new_value, source, batch_id, version)
select
    $username,
    $entity,
    coalesce(t.entity_id, r.entity_id),
    '_tag',
    case when t.action = 'end' then g.name end,
    case when t.action = 'set' then g.name end,
    $source,
    $batch_id,
    null
from import_tag as t
inner join tag as g on t.tag_id = g.id
left join import_row as r on t.batch_id = r.batch_id and t.row_no = r.row_no
where t.batch_id = $batch_id and (t.entity_id is not null or r.action = 'insert')
