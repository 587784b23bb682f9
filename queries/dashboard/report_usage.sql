-- Reports generated this month for units inside the scope and the manual minutes they saved (一表通使用).
-- params: $org_code varchar, $month_start date
select
    count(*) as reports,
    coalesce(sum(minutes_saved), 0) as minutes_saved
from report_run
where starts_with(org_code, $org_code) and created_at >= $month_start
