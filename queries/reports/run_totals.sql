-- Runs, rows and minutes saved over org units inside a scope, overall and for the current month.
-- params: $org_code varchar, $month_start date
select
    count(*) as runs,
    coalesce(sum(rows), 0) as rows,
    coalesce(sum(minutes_saved), 0) as minutes_saved,
    count(*) filter (where created_at >= $month_start) as runs_month,
    coalesce(sum(minutes_saved) filter (where created_at >= $month_start), 0) as minutes_month
from report_run
where starts_with(org_code, $org_code)
