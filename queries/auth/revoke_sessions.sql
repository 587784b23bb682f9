-- Re-login cookies issued before $after (unix seconds) stop working.
-- params: $username varchar, $after double
update app_user
set sessions_valid_after = $after
where username = $username
