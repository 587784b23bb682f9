-- Record how many tasks a new campaign got.
-- params: $id varchar
update campaign
set task_count = (select count(*) from visit_task where campaign_id = $id)
where id = $id
returning task_count
