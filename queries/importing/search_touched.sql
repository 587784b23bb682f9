-- Residents whose search tokens a batch (or its undo) makes stale: inserted, or with a changed
-- name or phone (tokens cover name, ID number, phone, grid and status).
-- params: $batch_id varchar
select entity_id
from import_row
where batch_id = $batch_id and action = 'insert'
union
select entity_id
from import_change
where batch_id = $batch_id and kind = 'apply' and field in ('resident_name', 'resident_phone')
