-- The log lines of one job, oldest first.
-- params: $job_id varchar
select
    logged_at,
    line
from job_log
where job_id = $job_id
order by logged_at, rowid
