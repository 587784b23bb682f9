-- Jobs queued or running now, oldest first.
-- params: none
select
    id,
    title,
    owner,
    state,
    progress,
    step,
    created_at,
    started_at
from job
where state in ('queued', 'running')
order by created_at
