-- Close the open periods of the tags a roster ends.
-- params: $batch_id varchar, $entity varchar, $today date
update tag_period as p
set
    end_batch = $batch_id,
    ended_on = $today
from import_tag as t
where
    t.batch_id = $batch_id
    and t.action = 'end'
    and p.entity = $entity
    and p.entity_id = t.entity_id
    and p.tag_id = t.tag_id
    and p.end_batch is null
