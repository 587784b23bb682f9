-- Consolidation runs, newest first.
-- params: $limit integer
select
    p.id,
    p.name,
    coalesce(d.name, p.department) as department_name,
    p.files,
    p.forms,
    p.skipped,
    p.headers,
    p.distinct_fields,
    p.held_fields,
    p.created_by,
    p.created_at
from form_pile as p
left join department as d on d.code = p.department
order by p.id desc
limit $limit
