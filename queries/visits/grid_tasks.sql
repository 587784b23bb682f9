-- The tasks of one grid of a campaign that the caller may work on (a social worker: assigned to
-- them), for the paper sheet: which households it holds and their open state.
-- params: $campaign_id varchar, $grid_code varchar, $org_code varchar, $assignee varchar
select
    t.entity_id,
    t.label,
    t.outcome,
    t.version
from visit_task as t
where
    t.campaign_id = $campaign_id
    and t.grid_code = $grid_code
    and starts_with(t.grid_code, $org_code)
    and ($assignee is null or t.assignee = $assignee)
order by t.sort_key, t.entity_id
