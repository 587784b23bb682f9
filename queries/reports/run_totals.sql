-- Runs, forms counted, rows and minutes saved over org units inside a scope (a department's
-- templates only when $department is set), overall and for the current month.
-- params: $org_code varchar, $month_start date, $department varchar
select
    count(*) as runs,
    count(*) filter (where r.counted) as forms,
    coalesce(sum(r.rows), 0) as rows,
    coalesce(sum(r.minutes_saved), 0) as minutes_saved,
    count(*) filter (where r.created_at >= $month_start) as runs_month,
    count(*) filter (where r.counted and r.created_at >= $month_start) as forms_month,
    coalesce(sum(r.minutes_saved) filter (where r.created_at >= $month_start), 0) as minutes_month
from report_run as r
left join report_template as t
    on t.code = r.template_code and t.version = r.template_version
where
    starts_with(r.org_code, $org_code)
    and ($department is null or t.department = $department)
