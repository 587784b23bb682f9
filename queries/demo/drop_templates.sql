-- Drop the generator's temporary table demo_template.
-- params: none
drop table if exists demo_template
