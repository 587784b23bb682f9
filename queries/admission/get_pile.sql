-- One consolidation run with its department's name.
-- params: $id bigint
select
    p.*,
    coalesce(d.name, p.department) as department_name
from form_pile as p
left join department as d on d.code = p.department
where p.id = $id
