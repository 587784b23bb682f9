-- Log one step of a request's review (numbered per request).
-- params: $request_id bigint, $username varchar, $action varchar, $from_state varchar, $to_state varchar, $note varchar
insert into report_request_step (request_id, step, username, action, from_state, to_state, note)
select
    $request_id,
    coalesce(max(step), 0) + 1,
    $username,
    $action,
    $from_state,
    $to_state,
    $note
from report_request_step
where request_id = $request_id
