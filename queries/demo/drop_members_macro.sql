-- Drop the generator's table macro demo_members.
-- params: none
drop macro table if exists demo_members
