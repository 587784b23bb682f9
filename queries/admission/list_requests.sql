-- Report requests, newest first: of one department (or all when $department is null), in the
-- given states (all when $states is null).
-- params: $department varchar, $states varchar[], $limit integer, $offset integer
select
    r.id,
    r.kind,
    r.department,
    coalesce(d.name, r.department) as department_name,
    r.requested_by,
    r.title,
    r.frequency,
    r.entity,
    r.expires_on,
    r.state,
    r.note,
    r.template_code,
    r.version,
    r.created_at,
    r.updated_at,
    cast(r.assessment ->> '$.coverage' as double) as coverage
from report_request as r
left join department as d on d.code = r.department
where
    ($department::varchar is null or r.department = $department)
    and ($states::varchar[] is null or list_contains($states, r.state))
order by r.updated_at desc, r.id desc
limit $limit offset $offset
