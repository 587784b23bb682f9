-- All versions of one template, newest first, with how many runs used each.
-- params: $code varchar
select
    t.version,
    t.name,
    t.status,
    t.source,
    t.created_by,
    t.created_at,
    count(r.id) as runs
from report_template as t
left join report_run as r
    on r.template_code = t.code and r.template_version = t.version
where t.code = $code
group by all
order by t.version desc
