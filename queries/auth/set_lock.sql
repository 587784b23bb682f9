-- Set the failure counter and lock deadline (null = unlocked).
-- params: $username varchar, $locked_until timestamp, $failed_logins integer
update app_user
set
    locked_until = $locked_until,
    failed_logins = $failed_logins,
    updated_at = current_timestamp
where username = $username
