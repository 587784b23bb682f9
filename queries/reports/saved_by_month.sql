-- Minutes saved per calendar month inside a scope (last twelve months), a department's own
-- templates only when $department is set.
-- params: $org_code varchar, $since date, $department varchar
select
    strftime(date_trunc('month', r.created_at), '%Y-%m') as month,
    count(*) as runs,
    sum(r.minutes_saved) as minutes_saved
from report_run as r
left join report_template as t
    on t.code = r.template_code and t.version = r.template_version
where
    starts_with(r.org_code, $org_code)
    and r.created_at >= $since
    and ($department is null or t.department = $department)
group by all
order by month
