-- One report request with its department's name.
-- params: $id bigint
select
    r.*,
    coalesce(d.name, r.department) as department_name
from report_request as r
left join department as d on d.code = r.department
where r.id = $id
