-- The result file of a job was removed after the retention period.
-- params: $id varchar
update job
set result_file = null
where id = $id
