-- The result file of a job was removed after the retention period; its name stays in the result
-- (expired_file), so the panel can tell an expired file from a job that never made one.
-- params: $id varchar
update job
set
    result = json_merge_patch(coalesce(result, '{}'::json), json_object('expired_file', result_file)),
    result_file = null
where id = $id
