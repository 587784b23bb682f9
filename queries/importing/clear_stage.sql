-- Empty one working table of a batch ({stage_table} comes from the engine's own list).
-- params: $batch_id varchar
delete from {stage_table}
where batch_id = $batch_id
