-- A `_created` change_log row for every record a batch inserted (its name, or its key).
-- params: $batch_id varchar, $username varchar, $entity varchar, $source varchar
insert into change_log (username, entity, entity_id, field, old_value, new_value, source, batch_id, version)
select
    $username,
    $entity,
    r.entity_id,
    '_created',
    null,
    coalesce(
        (
            select v.value
            from import_value as v
            where
                v.batch_id = r.batch_id
                and v.row_no = r.row_no
                and v.field in ('resident_name', 'shop_name', 'house_address')
        ),
        r.key
    ),
    $source,
    $batch_id,
    1
from import_row as r
where r.batch_id = $batch_id and r.action = 'insert'
