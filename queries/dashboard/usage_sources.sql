-- Which report-centre and admission tables (migrations 0060, 0400) the database has, so 一表通使用
-- shows 暂无 without them.
-- params: none
select table_name
from information_schema.tables
where table_schema = 'main' and table_name in ('report_run', 'report_template', 'report_request', 'form_pile')
