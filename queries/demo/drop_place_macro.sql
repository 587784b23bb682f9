-- Drop the generator's macro demo_place.
-- params: none
drop macro if exists demo_place
