-- Tasks of a campaign in the caller's subtree by outcome (the filter's counts), with the same
-- assignee and search conditions as list_tasks.
-- params: $campaign_id varchar, $org_code varchar, $assignee varchar, $term varchar, $members boolean
select
    t.outcome,
    count(*) as n
from visit_task as t
where
    t.campaign_id = $campaign_id
    and starts_with(t.grid_code, $org_code)
    and ($assignee is null or t.assignee = $assignee)
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
group by t.outcome
