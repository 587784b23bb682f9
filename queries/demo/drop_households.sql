-- Drop the generator's temporary table demo_hh.
-- params: none
drop table if exists demo_hh
