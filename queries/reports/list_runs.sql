-- One page of report runs over org units inside a scope (a department's templates only when
-- $department is set), newest first.
-- params: $org_code varchar, $limit integer, $offset integer, $department varchar
select
    r.id,
    r.created_at,
    r.username,
    coalesce(u.name, r.username) as user_name,
    r.template_code,
    r.template_version,
    coalesce(t.name, r.template_code) as template_name,
    coalesce(d.name, t.department) as department_name,
    r.org_code,
    coalesce(o.name, r.org_code) as org_name,
    r.rows,
    r.seconds,
    r.minutes_saved,
    r.period,
    r.counted,
    r.masked,
    r.batch_id,
    r.file_hash
from report_run as r
left join report_template as t
    on t.code = r.template_code and t.version = r.template_version
left join department as d on d.code = t.department
left join app_user as u on u.username = r.username
left join org_unit as o on o.code = r.org_code
where
    starts_with(r.org_code, $org_code)
    and ($department is null or t.department = $department)
order by r.created_at desc, r.id desc
limit $limit offset $offset
