-- After a commit only the tags of rows still waiting in 待落地 stay planned.
-- params: $batch_id varchar
delete from import_tag
where
    batch_id = $batch_id
    and (
        row_no is null
        or row_no not in (select row_no from import_row where batch_id = $batch_id and action = 'unplaced')
    )
