-- Hand the open tasks of one grid of a campaign to another social worker.
-- params: $campaign_id varchar, $grid_code varchar, $assignee varchar
update visit_task
set assignee = $assignee
where campaign_id = $campaign_id and grid_code = $grid_code
returning entity_id
