-- Drop the generator's macro demo_rand.
-- params: none
drop macro if exists demo_rand
