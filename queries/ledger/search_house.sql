-- One page of houses in an org subtree matching the search box.
-- params: $org_code varchar, $status varchar, $text varchar, $initials varchar, $digits varchar, $limit integer, $offset integer
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
where
    starts_with(h.grid_code, $org_code)
    and ($status is null or h.status = $status)
    and ($text is null or contains(h.address, $text) or contains(h.owner_name, $text))
    and ($initials is null or false)
    and ($digits is null or contains(h.house_no, $digits) or contains(h.owner_phone, $digits))
order by {order_by}
limit $limit offset $offset
