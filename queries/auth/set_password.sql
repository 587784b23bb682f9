-- Replace a user's password hash and clear the failure counter.
-- params: $username varchar, $password_hash varchar
update app_user
set
    password_hash = $password_hash,
    failed_logins = 0,
    updated_at = current_timestamp
where username = $username
