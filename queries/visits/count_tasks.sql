-- Tasks of a campaign in the caller's subtree by outcome (the filter's counts), with the same
-- assignee and search conditions as list_tasks.
-- params: $campaign_id varchar, $org_code varchar, $assignee varchar, $term varchar, $members boolean
select
    t.outcome,
    count(*) as n
from campaign_tasks($campaign_id, $org_code, $assignee, $term, $members) as t
group by t.outcome
