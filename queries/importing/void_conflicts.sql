-- Review items of an undone batch that nobody decided are void.
-- params: $batch_id varchar
update value_conflict
set state = 'void'
where batch_id = $batch_id and state = 'open' and kind <> 'undo'
