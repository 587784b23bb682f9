-- Set or lift an admin lock (null = unlocked).
-- params: $username varchar, $locked_until timestamp
update app_user
set
    locked_until = $locked_until,
    updated_at = current_timestamp
where username = $username
