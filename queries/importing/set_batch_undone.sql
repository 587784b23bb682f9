-- An undone batch with what the undo restored and what it left for review.
-- params: $id varchar, $username varchar, $counts json
update import_batch
set
    counts = $counts,
    state = 'undone',
    undone_by = $username,
    undone_at = current_timestamp
where id = $id
