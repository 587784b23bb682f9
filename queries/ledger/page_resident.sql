-- The columns the search table shows for residents picked by find_resident, in its order.
-- params: $ids bigint[]
select
    r.id,
    r.name,
    r.sex,
    r.birth_date,
    r.id_number,
    r.phone,
    r.residence_type,
    r.current_address,
    g.full_name as org_name,
    r.status,
    r.version
from resident as r
left join org_unit as g on g.code = r.grid_code
where r.id in (select unnest($ids))
order by list_position($ids, r.id)
