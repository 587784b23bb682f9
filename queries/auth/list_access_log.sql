-- One page of the access log, newest first, optionally filtered by user and action.
-- params: $username varchar, $action varchar, $limit integer, $offset integer
select
    logged_at,
    username,
    action,
    detail,
    client_address
from access_log
where
    ($username is null or username = $username)
    and ($action is null or action = $action)
order by logged_at desc
limit $limit offset $offset
