-- Change what a user may see and do: role, org unit, department and clearance.
-- params: $username varchar, $role varchar, $org_code varchar, $department varchar, $clearance boolean
update app_user
set
    role = $role,
    org_code = $org_code,
    department = $department,
    clearance = $clearance,
    updated_at = current_timestamp
where username = $username
