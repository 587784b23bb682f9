-- One user by username, with lock and session state (login, session checks, user management).
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
    locked_until,
    sessions_valid_after,
    must_change_password
from app_user
where username = $username
