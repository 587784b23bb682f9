-- Minutes saved per department (through the templates' departments) inside a scope, a
-- department's own only when $department is set.
-- params: $org_code varchar, $department varchar
select
    coalesce(d.name, t.department, '未知') as department_name,
    count(*) as runs,
    count(*) filter (where r.counted) as forms,
    sum(r.minutes_saved) as minutes_saved
from report_run as r
left join report_template as t
    on t.code = r.template_code and t.version = r.template_version
left join department as d on d.code = t.department
where
    starts_with(r.org_code, $org_code)
    and ($department is null or t.department = $department)
group by all
order by minutes_saved desc
