-- One street's houses: the flats of its households and the vacant ones beside them, with
-- building data, occupancy, tenants, safety checks and an owner: the head of the household
-- living there, else a local household head of the same grid.
-- params: $seed integer, $hh_lo bigint, $hh_hi bigint, $res_lo bigint, $res_hi bigint
insert into house (
    id, house_no, address, building, unit_no, room_no, area_sqm, use_type, structure,
    build_year, property_type, owner_name, owner_id_number, owner_phone, occupancy,
    tenant_count, rental_registered_at, fire_check_date, safety_level, grid_code, status,
    updated_by
)
with
occupied as (
    select
        h.house_id,
        any_value(h.grid_no) as grid_no,
        min(h.hh_id) as first_hh,
        count(*) as households,
        sum(h.members) as persons,
        bool_or(not h.is_local) as let_to_outsiders,
        bool_or(h.is_renter) as let_to_locals,
        bool_or(t.household_type = '2') as collective,
        min(h.arrival_date) as arrival_date
    from demo_hh as h
    inner join demo_template as t on h.t = t.t
    where h.hh_id between $hh_lo and $hh_hi
    group by h.house_id
),

vacant as (
    select
        house_id - 1 as house_id,
        grid_no,
        null::bigint as first_hh,
        0 as households,
        0 as persons,
        false as let_to_outsiders,
        false as let_to_locals,
        false as collective,
        null::date as arrival_date
    from demo_hh
    where hh_id between $hh_lo and $hh_hi and vacant_before
),

house as (
    select
        h.*,
        g.grid_code,
        g.old_jianggan,
        h.house_id - g.house_lo as q,
        demo_place(g.road, g.road_no, q) as place,
        case
            when h.households = 0 then '3'
            when h.households >= 2 or h.collective or (h.let_to_outsiders and h.persons >= 6)
                then '4'
            when h.let_to_outsiders or h.let_to_locals then '2'
            else '1'
        end as occupancy,
        2023 - least(
            demo_rand(g.grid_code || '-' || q // 360, $seed, 90, 64),
            demo_rand(g.grid_code || '-' || q // 360, $seed, 91, 64)
        ) as build_year,
        demo_rand(h.house_id, $seed, 92, 100) as roll,
        if(
            occupancy = '1' or g.locals = 0,
            null,
            g.local_lo + demo_rand(h.house_id, $seed, 93, g.locals)
        ) as owner_local_cum
    from (
        select * from occupied
        union all
        select * from vacant
    ) as h
    inner join demo_grid_stat as g on h.grid_no = g.grid_no
),

owned as (
    select
        house.*,
        r.name as owner_name,
        r.id_number as owner_id_number,
        r.phone as owner_phone
    from house
    left join demo_hh as elsewhere
        on house.owner_local_cum = elsewhere.local_cum
        and elsewhere.is_local
        and elsewhere.hh_id between $hh_lo and $hh_hi
    left join demo_hh as living
        on house.first_hh = living.hh_id
        and house.occupancy = '1'
        and living.hh_id between $hh_lo and $hh_hi
    left join resident as r
        on coalesce(living.res_first_id, elsewhere.res_first_id) = r.id
        and r.id between $res_lo and $res_hi
)

select
    house_id as id,
    grid_code || '-' || lpad((q + 1)::varchar, 5, '0') as house_no,
    place['address'] as address,
    place['building']::varchar as building,
    place['unit_no']::varchar as unit_no,
    place['room_no']::varchar as room_no,
    ((3500 + demo_rand(house_id, $seed, 94, 11000)) / 100)::decimal(8, 2) as area_sqm,
    case
        when occupancy <> '3' then if(roll < 97, '10', '60')
        when roll < 80 then '10'
        when roll < 88 then '20'
        when roll < 94 then '30'
        when roll < 97 then '50'
        else '90'
    end as use_type,
    case
        when build_year < 1980 then if(roll < 60, '2', '3')
        when build_year < 1995 then if(roll < 70, '2', '1')
        else if(roll < 95, '1', '4')
    end as structure,
    build_year,
    case
        when build_year >= 1998 then case
            when roll < if(old_jianggan, 30, 20) then '4'
            when roll < 95 then '1'
            else '5'
        end
        when build_year >= 1980 then case when roll < 60 then '2' when roll < 80 then '1' else '3' end
        else case when roll < 50 then '3' when roll < 85 then '2' else '5' end
    end as property_type,
    owner_name,
    owner_id_number,
    owner_phone,
    occupancy,
    if(occupancy in ('2', '4'), persons, null) as tenant_count,
    case
        when occupancy in ('2', '4') and demo_rand(house_id, $seed, 95, 100) < 85
            then least(
                current_date,
                coalesce(arrival_date, current_date - 1500)
                + cast(demo_rand(house_id, $seed, 96, 30) as integer)
            )
    end as rental_registered_at,
    if(
        demo_rand(house_id, $seed, 97, 100) < 80,
        current_date - cast(demo_rand(house_id, $seed, 98, 1000) as integer),
        null
    ) as fire_check_date,
    case
        when build_year < 1980 then case
            when roll < 40 then 'A'
            when roll < 75 then 'B'
            when roll < 95 then 'C'
            else 'D'
        end
        when roll < 80 then 'A'
        when roll < 96 then 'B'
        else 'C'
    end as safety_level,
    grid_code,
    'active' as status,
    'demo' as updated_by
from owned
