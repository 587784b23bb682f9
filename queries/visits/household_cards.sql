-- Head name and number of active members of the households on one page of a visit list (the
-- residents are read within the caller's subtree, which zone maps keep to a few row groups).
-- params: $ids bigint[], $org_code varchar
with
members as (
    select
        household_id,
        id,
        name
    from resident
    where
        starts_with(grid_code, $org_code)
        and status = 'active'
        and list_contains($ids, household_id)
)

select
    h.id,
    any_value(m.name) filter (where m.id = h.head_id) as head_name,
    count(m.id) as members
from household as h
left join members as m on h.id = m.household_id
where list_contains($ids, h.id) and starts_with(h.grid_code, $org_code)
group by h.id
