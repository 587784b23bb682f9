-- One user by username, with lock and session state.
-- params: $username varchar
select
    username,
    name,
    password_hash,
    role,
    org_code,
    department,
    clearance,
    active,
    failed_logins,
    locked_until,
    sessions_valid_after
from app_user
where username = $username
