-- Jobs a previous process left queued or running (it was stopped or killed meanwhile).
-- params: none
select id
from job
where state in ('queued', 'running')
