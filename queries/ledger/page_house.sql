-- The columns the search table shows for houses picked by find_house, in its order.
-- params: $ids bigint[]
select
    h.id,
    h.house_no,
    h.address,
    h.use_type,
    h.occupancy,
    h.owner_name,
    h.owner_phone,
    h.tenant_count,
    g.full_name as org_name,
    h.status,
    h.version
from house as h
left join org_unit as g on g.code = h.grid_code
where h.id in (select unnest($ids))
order by list_position($ids, h.id)
