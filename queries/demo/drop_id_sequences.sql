-- Drop the generator's temporary table demo_seq.
-- params: none
drop table if exists demo_seq
