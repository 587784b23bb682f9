-- Drop the generator's temporary table demo_grid_stat.
-- params: none
drop table if exists demo_grid_stat
