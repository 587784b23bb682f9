-- Changes the commit could not apply because someone changed the field after the preview: they
-- become conflicts for a reviewer instead of overwriting the newer value.
-- params: $batch_id varchar
update import_change as c
set kind = 'stale'
from import_current as cur
where
    c.batch_id = $batch_id
    and c.kind = 'apply'
    and cur.batch_id = c.batch_id
    and cur.entity_id = c.entity_id
    and cur.field = c.field
    and cur.value is distinct from c.new_value
