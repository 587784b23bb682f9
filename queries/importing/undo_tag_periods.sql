-- Periods of an undone batch: the ones it opened go, the ones it closed reopen (a period made up
-- only to be closed goes too).
-- params: $batch_id varchar
delete from tag_period
where set_batch = $batch_id or (end_batch = $batch_id and set_batch = 'before-periods')
