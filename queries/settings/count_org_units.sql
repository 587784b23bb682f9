-- Number of org units; zero means the catalogue was never loaded.
-- params: none
select count(*)
from org_unit
