-- The id a just placed row received.
-- params: $batch_id varchar
select entity_id
from import_row
where batch_id = $batch_id and action = 'insert'
