-- The columns the search table shows for households picked by find_household, with head and size.
-- params: $ids bigint[]
select
    h.id,
    h.household_no,
    head.name as head_name,
    (
        select count(*) from resident as m
        where m.household_id = h.id and m.status = 'active'
    ) as members,
    h.household_type,
    h.address,
    h.phone,
    g.full_name as org_name,
    h.status,
    h.version
from household as h
left join resident as head on head.id = h.head_id
left join org_unit as g on g.code = h.grid_code
where h.id in (select unnest($ids))
order by list_position($ids, h.id)
