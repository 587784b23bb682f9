-- One log line of a job.
-- params: $job_id varchar, $line varchar
insert into job_log (job_id, line)
values ($job_id, $line)
