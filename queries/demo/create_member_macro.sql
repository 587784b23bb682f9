-- demo_members(seed): every generated resident's skeleton, from its household, template and
-- grid: id, sex, birth date, id-number region, relation, parents, birth order, address.
-- A table macro, not a table: the id sequencing and the street inserts read it in turn.
-- params: none
create or replace temp macro demo_members(seed) as table
select
    h.*,
    t.nk,
    t.has_ya,
    t.has_yb,
    t.has_e1,
    t.has_e2,
    t.link,
    t.household_type,
    g.grid_code,
    g.community_code,
    g.street_code,
    demo_place(g.road, g.road_no, h.house_id - g.house_lo)['address'] as address,
    h.res_first_id + m.idx as id,
    m.idx,
    m.slot,
    m.birth_order,
    case
        when m.slot in ('e1', 'ya') then '1'
        when m.slot in ('e2', 'yb') then '2'
        when demo_rand(id, seed, 40, 1000) < 515 then '1'
        else '2'
    end as sex,
    case m.relation
        when 'K' then if(sex = '1', '20', '30')
        when 'G' then '40'
        else m.relation
    end as relation,
    case m.slot
        when 'k1' then h.age_k1
        when 'k2' then h.age_k2
        when 'k3' then h.age_k3
        when 'ya' then h.age_ya
        when 'yb' then h.age_yb
        when 'e1' then h.age_e1
        when 'e2' then h.age_e2
        else 6570 + demo_rand(id, seed, 41, 11680)
    end as age_days,
    current_date - cast(age_days as integer) as birth_date,
    case
        when h.is_foreign then null
        when h.is_floating then h.region_code
        when g.old_jianggan and birth_date < date '2021-04-09' then '330104'
        else '330102'
    end as region,
    if(m.mother_idx < h.members, h.res_first_id + m.mother_idx, null) as mother_id,
    if(m.father_idx < h.members, h.res_first_id + m.father_idx, null) as father_id
from demo_hh as h
inner join demo_template as t on h.t = t.t
inner join demo_grid_stat as g on h.grid_no = g.grid_no
inner join demo_template_member as m on h.t = m.t and m.idx < h.members
