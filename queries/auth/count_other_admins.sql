-- Active district admins other than $username: a change must never leave none.
-- params: $username varchar
select count(*)
from app_user
where role = 'district_admin' and active and username <> $username
