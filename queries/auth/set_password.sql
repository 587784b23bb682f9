-- Replace a user's password hash; an admin-set password must be changed at the next login.
-- params: $username varchar, $password_hash varchar, $must_change_password boolean
update app_user
set
    password_hash = $password_hash,
    must_change_password = $must_change_password,
    updated_at = current_timestamp
where username = $username
