-- Record a paper sheet's outcome on an open task (the sheet carried no version of the task: the
-- last outcome written wins, and the change of each value is guarded by the import engine).
-- params: $campaign_id varchar, $entity_id bigint, $org_code varchar, $outcome varchar, $note varchar, $username varchar, $batch_id varchar
update visit_task
set
    outcome = $outcome,
    note = coalesce($note, note),
    version = version + 1,
    visited_at = current_timestamp,
    visited_by = $username,
    batch_id = $batch_id
where
    campaign_id = $campaign_id
    and entity_id = $entity_id
    and starts_with(grid_code, $org_code)
returning version
