-- A finished preview: how the file was read, the confirmed mapping and options, and the counts
-- the user will confirm.
-- params: $id varchar, $settings json, $mapping json, $options json, $counts json
update import_batch
set
    settings = $settings,
    mapping = $mapping,
    options = $options,
    counts = $counts,
    state = 'previewed',
    message = null,
    previewed_at = current_timestamp
where id = $id
