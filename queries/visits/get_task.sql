-- One task in the caller's subtree, with its campaign (none when absent, out of scope or, for a
-- given assignee, assigned to someone else: the same answer).
-- params: $campaign_id varchar, $entity_id bigint, $org_code varchar, $assignee varchar
select
    t.*,
    c.name as campaign_name,
    c.entity,
    c.state,
    c.verify_fields,
    c.collect_fields
from visit_task as t
inner join campaign as c on t.campaign_id = c.id
where
    t.campaign_id = $campaign_id
    and t.entity_id = $entity_id
    and starts_with(t.grid_code, $org_code)
    and ($assignee is null or t.assignee = $assignee)
