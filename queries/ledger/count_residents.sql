-- All resident rows in the file, whatever their status (zero means no demo data yet).
-- params: none
select count(*)
from resident
