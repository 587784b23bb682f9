-- Current values of the columns a batch keeps in attrs (target attr:<header>) for the records it
-- matched; the header is the attrs key, addressed as a JSON pointer.
-- params: $batch_id varchar
insert into import_current (batch_id, entity_id, field, value)
select
    r.batch_id,
    r.entity_id,
    m.target,
    json_extract_string(
        coalesce(e.attrs, '{}'), '/' || replace(replace(substr(m.target, 6), '~', '~0'), '/', '~1')
    )
from import_row as r
inner join {entity_table} as e on r.entity_id = e.id
inner join import_map as m on r.batch_id = m.batch_id
where r.batch_id = $batch_id and r.action in ('match', 'update') and starts_with(m.target, 'attr:')
