-- All users for the admin list, with their org unit's full name.
-- params: none
select
    u.username,
    u.name,
    u.role,
    u.org_code,
    o.full_name as org_name,
    u.department,
    u.clearance,
    u.active,
    u.failed_logins,
    u.locked_until,
    u.updated_at
from app_user as u
left join org_unit as o on o.code = u.org_code
order by u.role, u.org_code, u.username
