-- Number of access-log rows matching the same filters as list_access_log.
-- params: $username varchar, $action varchar
select count(*)
from access_log
where
    ($username is null or username = $username)
    and ($action is null or action = $action)
