-- Deactivate or reactivate an account.
-- params: $username varchar, $active boolean
update app_user
set
    active = $active,
    updated_at = current_timestamp
where username = $username
