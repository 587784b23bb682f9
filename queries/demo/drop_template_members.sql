-- Drop the generator's temporary table demo_template_member.
-- params: none
drop table if exists demo_template_member
