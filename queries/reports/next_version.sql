-- The next free version number of a template (offers waiting for the admin count as taken).
-- params: $code varchar
select coalesce(max(version), 0) + 1
from report_template
where code = $code
