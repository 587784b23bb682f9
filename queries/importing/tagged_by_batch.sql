-- Records whose import tags a batch set or ended.
-- params: $batch_id varchar
select distinct entity_id
from tag_period
where set_batch = $batch_id or end_batch = $batch_id
