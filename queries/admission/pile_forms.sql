-- The forms and skipped files of one consolidation run, in upload order.
-- params: $pile_id bigint
select
    f.seq,
    f.file_name,
    f.sheet,
    f.sha256,
    f.status,
    f.reason,
    f.title,
    f.entity,
    f.department,
    coalesce(d.name, f.department) as department_name,
    f.shape,
    f.template_code
from form_pile_form as f
left join department as d on d.code = f.department
where f.pile_id = $pile_id
order by f.seq
