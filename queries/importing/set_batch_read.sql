-- What reading the file found (encoding, delimiter, sheet, header row), as shown to the user.
-- params: $id varchar, $settings json
update import_batch
set
    settings = $settings,
    state = 'read',
    message = null
where id = $id
