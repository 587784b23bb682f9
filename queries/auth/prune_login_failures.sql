-- Drop failed logins older than the throttle window: they no longer count.
-- params: $before timestamp
delete from login_failure
where failed_at < $before
