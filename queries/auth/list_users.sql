-- Users in one org subtree for the admin list, with their failed logins since $since.
-- params: $org_code varchar, $since timestamp
select
    u.username,
    u.name,
    u.role,
    u.org_code,
    o.full_name as org_name,
    u.department,
    u.clearance,
    u.active,
    u.locked_until,
    u.must_change_password,
    u.updated_at,
    (
        select count(*)
        from login_failure as f
        where f.username = u.username and f.failed_at > $since
    ) as recent_failures
from app_user as u
left join org_unit as o on o.code = u.org_code
where starts_with(u.org_code, $org_code)
order by u.role, u.org_code, u.username
