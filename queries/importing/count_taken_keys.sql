-- New rows whose key the ledger holds by now (someone registered them after the preview).
-- params: $batch_id varchar
select count(*)
from import_row as r
inner join {entity_table} as e on r.key = e.{key_column}
where r.batch_id = $batch_id and r.action = 'insert'
