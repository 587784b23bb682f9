-- The indexes of the database this cursor belongs to, so a copy that lost one is caught.
-- params: none
select index_name
from duckdb_indexes()
where database_name = current_database()
order by index_name
