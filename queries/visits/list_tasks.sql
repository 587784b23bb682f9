-- One page of a campaign's tasks in the caller's subtree, by grid, building, unit and room:
-- optionally only those assigned to one worker, of one outcome, or matching a search term.
-- params: $campaign_id varchar, $org_code varchar, $assignee varchar, $outcome varchar, $term varchar, $members boolean, $limit integer, $offset integer
select
    t.entity_id,
    t.grid_code,
    t.label,
    t.outcome,
    t.note,
    t.version,
    t.visited_at,
    t.assignee
from campaign_tasks($campaign_id, $org_code, $assignee, $term, $members) as t
where $outcome is null or t.outcome = $outcome
order by t.grid_code, t.sort_key, t.entity_id
limit $limit offset $offset
