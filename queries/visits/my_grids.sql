-- Grids of a campaign in which the caller has tasks (a social worker: assigned to them).
-- params: $campaign_id varchar, $org_code varchar, $assignee varchar
select
    t.grid_code,
    count(*) as tasks
from visit_task as t
where
    t.campaign_id = $campaign_id
    and starts_with(t.grid_code, $org_code)
    and ($assignee is null or t.assignee = $assignee)
group by t.grid_code
order by t.grid_code
