-- One page of residents in an org subtree matching the search box, sorted by a whitelisted key.
-- params: $org_code varchar, $status varchar, $text varchar, $initials varchar, $digits varchar, $limit integer, $offset integer
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
where
    starts_with(r.grid_code, $org_code)
    and ($status is null or r.status = $status)
    and ($text is null or contains(r.name, $text) or contains(r.current_address, $text))
    and ($initials is null or starts_with(r.name_initials, $initials))
    and ($digits is null or contains(r.id_number, $digits) or contains(r.phone, $digits))
order by {order_by}
limit $limit offset $offset
