-- Create a user (the password arrives already hashed with bcrypt).
-- params: $username varchar, $name varchar, $password_hash varchar, $role varchar, $org_code varchar, $department varchar, $clearance boolean, $must_change_password boolean
insert into app_user (
    username, name, password_hash, role, org_code, department, clearance, must_change_password
)
values (
    $username, $name, $password_hash, $role, $org_code, $department, $clearance, $must_change_password
)
