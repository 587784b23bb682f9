-- The progress figure and step of a running job.
-- params: $id varchar, $progress double, $step varchar
update job
set
    progress = $progress,
    step = $step
where id = $id and state = 'running'
