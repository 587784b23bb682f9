-- Finished jobs whose result file is older than the retention period.
-- params: $before timestamp
select id
from job
where result_file is not null and finished_at < $before
