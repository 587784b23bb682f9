-- Residents whose sequence would not fit the id number (odd or even 001–999: 499 per sex).
-- params: none
select count(*)
from demo_seq
where r >= 499
