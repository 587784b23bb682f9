-- After a commit only the rows waiting in 待落地 keep their values; the diff is in change_log.
-- params: $batch_id varchar
delete from import_value
where
    batch_id = $batch_id
    and row_no not in (select row_no from import_row where batch_id = $batch_id and action = 'unplaced')
