-- A committed batch with the counts of what it wrote.
-- params: $id varchar, $username varchar, $counts json
update import_batch
set
    counts = $counts,
    state = 'committed',
    message = null,
    committed_by = $username,
    committed_at = current_timestamp
where id = $id
