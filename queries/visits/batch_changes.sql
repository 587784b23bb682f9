-- The field changes an import batch wrote (for the round trip's bookkeeping of corrections and fills).
-- params: $batch_id varchar
select
    entity_id,
    field,
    old_value,
    new_value
from change_log
where batch_id = $batch_id and entity = 'resident' and not starts_with(field, '_')
