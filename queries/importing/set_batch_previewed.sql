-- A finished preview: the confirmed mapping and options and the counts the user will confirm.
-- params: $id varchar, $mapping json, $options json, $counts json
update import_batch
set
    mapping = $mapping,
    options = $options,
    counts = $counts,
    state = 'previewed',
    message = null,
    previewed_at = current_timestamp
where id = $id
