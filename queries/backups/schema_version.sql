-- The newest migration this database has.
-- params: none
select max(version)
from schema_version
