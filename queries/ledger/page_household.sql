-- The columns the search table shows for households picked by find_household, with head and size.
-- Sizes are counted for the page's households alone: a per-row count over residents made DuckDB
-- group all 9 million residents for every page (~2 s on the bench district).
-- params: $ids bigint[]
select
    h.id,
    h.household_no,
    head.name as head_name,
    coalesce(sizes.members, 0) as members,
    h.household_type,
    h.address,
    h.phone,
    g.full_name as org_name,
    h.status,
    h.version
from household as h
left join resident as head on head.id = h.head_id
left join org_unit as g on g.code = h.grid_code
left join (
    select
        m.household_id,
        count(*) as members
    from resident as m
    where m.household_id in (select unnest($ids)) and m.status = 'active'
    group by m.household_id
) as sizes on sizes.household_id = h.id
where h.id in (select unnest($ids))
order by list_position($ids, h.id)
