-- Move a batch to another state with a message (read, failed, discarded, committing …).
-- params: $id varchar, $state varchar, $message varchar
update import_batch
set
    state = $state,
    message = $message
where id = $id
