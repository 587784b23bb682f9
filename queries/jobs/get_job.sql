-- One job by id.
-- params: $id varchar
select
    id,
    kind,
    title,
    params,
    writes,
    state,
    progress,
    step,
    message,
    result,
    result_file,
    owner,
    org_code,
    origin,
    created_at,
    started_at,
    finished_at
from job
where id = $id
