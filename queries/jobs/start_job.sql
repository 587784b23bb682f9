-- A queued job starts running; no row when it is no longer queued (cancelled meanwhile).
-- params: $id varchar
update job
set
    state = 'running',
    started_at = current_timestamp
where id = $id and state = 'queued'
returning id
