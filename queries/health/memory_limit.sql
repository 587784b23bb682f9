-- The memory limit the database engine works under right now (lowered while an import runs).
-- params: none
select current_setting('memory_limit') as memory_limit
