-- Record a visit's outcome on its task, guarded by the version the phone loaded and the scope.
-- params: $campaign_id varchar, $entity_id bigint, $org_code varchar, $version integer, $outcome varchar, $note varchar, $username varchar, $minutes double, $missing integer, $batch_id varchar
update visit_task
set
    outcome = $outcome,
    note = $note,
    version = version + 1,
    visited_at = current_timestamp,
    visited_by = $username,
    minutes = coalesce(minutes, 0) + coalesce($minutes, 0),
    missing = $missing,
    batch_id = $batch_id
where
    campaign_id = $campaign_id
    and entity_id = $entity_id
    and starts_with(grid_code, $org_code)
    and version = $version
returning version
