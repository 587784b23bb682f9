-- A job ends: done, failed, cancelled or interrupted, with its message, result and file.
-- params: $id varchar, $state varchar, $step varchar, $message varchar, $result json, $result_file varchar, $progress double
update job
set
    state = $state,
    step = $step,
    message = $message,
    result = $result,
    result_file = $result_file,
    progress = $progress,
    finished_at = current_timestamp
where id = $id and state in ('queued', 'running')
