-- The fields a batch changes on matched records (only these get an update statement).
-- params: $batch_id varchar
select distinct field
from import_change
where batch_id = $batch_id and kind = 'apply'
