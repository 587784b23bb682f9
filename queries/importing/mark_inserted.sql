-- After a commit (or a placement) the rows written are marked, so a later placement of a waiting
-- row of the same batch inserts only that row.
-- params: $batch_id varchar
update import_row
set action = case action when 'insert' then 'inserted' when 'update' then 'updated' else action end
where batch_id = $batch_id and action in ('insert', 'update')
