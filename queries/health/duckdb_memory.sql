-- Memory the database engine holds now (buffers of tables, hash tables …) in bytes.
-- params: none
select coalesce(sum(memory_usage_bytes), 0) as used
from duckdb_memory()
