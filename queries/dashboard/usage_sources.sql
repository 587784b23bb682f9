-- Which report-centre tables (migration 0060) the database has, so 一表通使用 shows 暂无 without them.
-- params: none
select table_name
from information_schema.tables
where table_schema = 'main' and table_name in ('report_run', 'report_template')
