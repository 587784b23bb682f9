-- Households of the demo district: template, grid, flags, ages of the family slots, house.
-- Households are laid out in a row until the residents are used up (the last one may be cut
-- short); each takes the grid its first resident falls into. Ages are days before today.
-- Blocks of three households may share one group-rented flat; an occupied flat may have an
-- empty neighbour, the vacant house with id house_id - 1. The windows run over narrow rows
-- and the wide columns are added after them: that keeps 9 million residents within memory.
-- params: $seed integer, $residents bigint, $candidates bigint, $household_base bigint, $resident_base bigint, $house_base bigint, $template_pick integer[], $group_pick integer[], $group_block_pm integer, $vacant_pm integer, $forced_newborns integer, $region_pick integer[], $region_codes varchar[]
create or replace temp table demo_hh as
with
candidate as (
    select
        k,
        demo_rand(k // 3, $seed, 10, 1000) < $group_block_pm as group_block,
        if(
            group_block,
            $group_pick[1 + demo_rand(k, $seed, 11, len($group_pick))],
            $template_pick[1 + demo_rand(k, $seed, 12, len($template_pick))]
        ) as t
    from range($candidates) as r (k)
),

laid_out as (
    select
        c.k,
        c.group_block,
        c.t,
        t.size,
        coalesce(sum(t.size) over preceding, 0)::bigint as res_offset,
        coalesce(lag(t.size) over (order by c.k), 0) as previous_size
    from candidate as c
    inner join demo_template as t on c.t = t.t
    window preceding as (order by c.k rows between unbounded preceding and 1 preceding)
),

placed as (
    select
        l.k,
        l.group_block,
        l.t,
        least(l.size, $residents - l.res_offset)::integer as members,
        l.res_offset,
        g.grid_no,
        g.street_no,
        l.k = 0 or l.res_offset - l.previous_size < g.res_start as first_in_grid
    from laid_out as l
    asof inner join demo_grid as g on l.res_offset >= g.res_start
    where l.res_offset < $residents
),

first_eligible as (
    select
        p.street_no,
        t.nk,
        min(p.k, $forced_newborns) as ks
    from placed as p
    inner join demo_template as t on p.t = t.t
    where t.newborn_guaranteed
    group by all
),

flagged as (
    select
        p.k,
        p.t,
        p.members,
        p.res_offset,
        p.grid_no,
        coalesce(list_contains(f.ks, p.k), false) as forced_newborn,
        not p.group_block
        and not forced_newborn
        and demo_rand(p.k, $seed, 13, 1000) < t.foreign_pm as is_foreign,
        not is_foreign
        and (
            p.group_block
            or (not forced_newborn and demo_rand(p.k, $seed, 14, 1000) < t.floating_pm)
        ) as is_floating,
        not is_foreign and not is_floating and demo_rand(p.k, $seed, 15, 1000) < 80 as is_renter,
        not is_foreign and not is_floating as is_local,
        not p.group_block or p.k % 3 = 0 or p.first_in_grid as new_house,
        new_house and demo_rand(p.k, $seed, 16, 1000) < $vacant_pm as vacant_before
    from placed as p
    inner join demo_template as t on p.t = t.t
    left join first_eligible as f on p.street_no = f.street_no and t.nk = f.nk
),

counted as (
    select
        k,
        t,
        members,
        res_offset,
        grid_no,
        forced_newborn,
        is_foreign,
        is_floating,
        is_renter,
        is_local,
        vacant_before,
        ($house_base + sum(new_house::integer + vacant_before::integer) over running)::bigint
            as house_id,
        (sum(is_local::integer) over running)::bigint as local_cum
    from flagged
    window running as (order by k rows between unbounded preceding and current row)
),

aged as (
    select
        c.*,
        t.nk,
        t.has_ya,
        t.has_yb,
        t.link,
        t.head_slot,
        case
            when c.forced_newborn then demo_rand(c.k, $seed, 20, 300)
            when demo_rand(c.k, $seed, 36, 100) < 70 then t.kid_lo + demo_rand(c.k, $seed, 21, t.kid_span)
            else t.kid_lo
                + greatest(demo_rand(c.k, $seed, 21, t.kid_span), demo_rand(c.k, $seed, 37, t.kid_span))
        end as youngest,
        548 + demo_rand(c.k, $seed, 22, 1826) as gap1,
        548 + demo_rand(c.k, $seed, 23, 1826) as gap2,
        t.adult_lo
        + least(demo_rand(c.k, $seed, 24, t.adult_span), demo_rand(c.k, $seed, 25, t.adult_span))
            as adult,
        t.elder_lo + if(
            demo_rand(c.k, $seed, 38, 100) < 50,
            demo_rand(c.k, $seed, 26, t.elder_span),
            least(demo_rand(c.k, $seed, 26, t.elder_span), demo_rand(c.k, $seed, 27, t.elder_span))
        ) as elder,
        case t.nk
            when 1 then youngest
            when 2 then youngest + gap1
            when 3 then youngest + gap1 + gap2
        end as age_k1,
        case t.nk
            when 2 then youngest
            when 3 then youngest + gap2
        end as age_k2,
        case t.nk when 3 then youngest end as age_k3,
        case
            when t.nk > 0 and t.has_yb then age_k1 + 8030 + demo_rand(c.k, $seed, 28, 4745)
            else adult
        end as age_yb,
        case
            when t.has_yb then age_yb - 730 + demo_rand(c.k, $seed, 29, 2920)
            when t.nk > 0 then age_k1 + 8760 + demo_rand(c.k, $seed, 30, 5110)
            else adult
        end as age_ya,
        least(
            37900,
            case
                when t.link = 'ya' then age_ya + 8030 + demo_rand(c.k, $seed, 31, 3650)
                when t.link = 'yb' then age_yb + 8030 + demo_rand(c.k, $seed, 31, 3650)
                when t.nk > 0 then age_k1 + 18250 + demo_rand(c.k, $seed, 32, 4380)
                else elder
            end
        ) as age_e2,
        least(37900, age_e2 - 365 + demo_rand(c.k, $seed, 33, 1460)) as age_e1,
        case t.head_slot
            when 'ya' then age_ya
            when 'yb' then age_yb
            when 'e1' then age_e1
            when 'e2' then age_e2
            else 6570
        end as head_age
    from counted as c
    inner join demo_template as t on c.t = t.t
)

select
    ($household_base + k + 1)::bigint as hh_id,
    ($resident_base + res_offset + 1)::bigint as res_first_id,
    t,
    members,
    grid_no,
    is_foreign,
    is_floating,
    is_renter,
    is_local,
    local_cum,
    house_id,
    vacant_before,
    age_k1::integer as age_k1,
    age_k2::integer as age_k2,
    age_k3::integer as age_k3,
    age_ya::integer as age_ya,
    age_yb::integer as age_yb,
    age_e1::integer as age_e1,
    age_e2::integer as age_e2,
    if(is_floating, $region_pick[1 + demo_rand(k, $seed, 34, len($region_pick))], null)::integer
        as region_idx,
    $region_codes[1 + region_idx] as region_code,
    case
        when is_floating or is_foreign
            then current_date
            - cast(30 + demo_rand(k, $seed, 35, greatest(least(3650, head_age - 5840), 1)) as integer)
    end as arrival_date
from aged
