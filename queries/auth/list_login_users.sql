-- Active users handed to the login widget as its credentials.
-- params: none
select
    username,
    name,
    password_hash,
    role
from app_user
where active
