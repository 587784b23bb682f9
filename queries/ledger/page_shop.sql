-- The columns the search table shows for shops picked by find_shop, in its order.
-- params: $ids bigint[]
select
    s.id,
    s.name,
    s.uscc,
    s.category,
    s.legal_person,
    s.phone,
    s.address,
    s.inspection_status,
    g.full_name as org_name,
    s.status,
    s.version
from shop as s
left join org_unit as g on g.code = s.grid_code
where s.id in (select unnest($ids))
order by list_position($ids, s.id)
