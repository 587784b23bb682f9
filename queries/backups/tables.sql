-- The user tables of the database this cursor belongs to (the live file or a backup).
-- params: none
select table_name
from duckdb_tables()
where database_name = current_database() and schema_name = 'main' and not temporary
order by table_name
