-- One page of a campaign's tasks in the caller's subtree, by grid, building, unit and room:
-- optionally only those assigned to one worker, of one outcome, or matching a search term (the
-- address, or for a household campaign any active member's name).
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
from visit_task as t
where
    t.campaign_id = $campaign_id
    and starts_with(t.grid_code, $org_code)
    and ($assignee is null or t.assignee = $assignee)
    and ($outcome is null or t.outcome = $outcome)
    and (
        $term is null
        or contains(t.label, $term)
        or (
            $members
            and t.entity_id in (
                select r.household_id
                from resident as r
                where
                    starts_with(r.grid_code, $org_code)
                    and r.status = 'active'
                    and contains(r.name, $term)
            )
        )
    )
order by t.grid_code, t.sort_key, t.entity_id
limit $limit offset $offset
