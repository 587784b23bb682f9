-- DuckDB's buffer pool limit for the whole database (db.memory_budget holds it down during
-- large imports and gives the configured limit back afterwards).
-- params: $memory_limit varchar
set memory_limit = $memory_limit
