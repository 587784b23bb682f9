-- One street's households: number within the community, head, house, the head's phone.
-- params: $hh_lo bigint, $hh_hi bigint, $res_lo bigint, $res_hi bigint
insert into household (
    id, household_no, head_id, household_type, address, house_id, phone, grid_code, status,
    updated_by
)
select
    h.hh_id as id,
    g.community_code || '-'
    || lpad((h.hh_id - min(h.hh_id) over (partition by g.community_code) + 1)::varchar, 6, '0')
        as household_no,
    h.res_first_id as head_id,
    t.household_type,
    demo_place(g.road, g.road_no, h.house_id - g.house_lo)['address'] as address,
    h.house_id,
    r.phone,
    g.grid_code,
    'active' as status,
    'demo' as updated_by
from demo_hh as h
inner join demo_template as t on h.t = t.t
inner join demo_grid_stat as g on h.grid_no = g.grid_no
inner join resident as r on h.res_first_id = r.id and r.id between $res_lo and $res_hi
where h.hh_id between $hh_lo and $hh_hi
