-- One change_log row per field a batch changed, with its source and batch id and the version the
-- change produced.
-- params: $batch_id varchar, $username varchar, $entity varchar, $source varchar
insert into change_log (username, entity, entity_id, field, old_value, new_value, source, batch_id, version)
select
    $username,
    $entity,
    c.entity_id,
    c.field,
    c.old_value,
    c.new_value,
    $source,
    $batch_id,
    b.new_version
from import_change as c
inner join record_before as b on c.batch_id = b.batch_id and c.entity_id = b.entity_id
where c.batch_id = $batch_id and c.kind = 'apply'
