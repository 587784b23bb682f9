-- The records one write batch touched (every write logs its batch id in change_log).
-- params: $batch_id varchar
select distinct
    entity,
    entity_id
from change_log
where batch_id = $batch_id
