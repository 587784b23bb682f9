-- Drop the generator's temporary table demo_grid.
-- params: none
drop table if exists demo_grid
