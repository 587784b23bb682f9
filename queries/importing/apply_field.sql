-- Apply one field's changes of a batch to the ledger ({entity_table}.{column} from the field
-- standard's whitelist), only where the value is still what the preview saw.
-- params: $batch_id varchar, $field varchar
update {entity_table} as e
set {column} = c.new_value
from import_change as c
where
    c.batch_id = $batch_id
    and c.field = $field
    and c.kind = 'apply'
    and e.id = c.entity_id
    and cast(e.{column} as varchar) is not distinct from c.old_value
