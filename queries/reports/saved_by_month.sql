-- Minutes saved per calendar month inside a scope (last twelve months).
-- params: $org_code varchar, $since date
select
    strftime(date_trunc('month', created_at), '%Y-%m') as month,
    count(*) as runs,
    sum(minutes_saved) as minutes_saved
from report_run
where starts_with(org_code, $org_code) and created_at >= $since
group by all
order by month
