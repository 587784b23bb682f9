-- A `_created` change_log row for every household a batch formed.
-- params: $batch_id varchar, $username varchar, $source varchar
insert into change_log (username, entity, entity_id, field, old_value, new_value, source, batch_id, version)
select distinct
    $username,
    'household',
    h.id,
    '_created',
    null,
    h.household_no,
    $source,
    $batch_id,
    1
from household as h
inner join import_row as r on h.id = r.household_id
where
    r.batch_id = $batch_id
    and r.action = 'insert'
    and not starts_with(r.household_ref, 'hh:')
