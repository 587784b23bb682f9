-- Drop the collapsed duplicate rows from the working copy of the file.
-- params: $batch_id varchar
delete from import_raw
where
    batch_id = $batch_id
    and row_no in (
        select row_no
        from import_row
        where batch_id = $batch_id and action = 'duplicate'
    )
