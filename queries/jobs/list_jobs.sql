-- Recent jobs, newest first: one owner's, or everybody's when $owner is null (district admins).
-- params: $owner varchar, $limit integer
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
where $owner::varchar is null or owner = $owner
order by created_at desc, id desc
limit $limit
