-- Per grid: its demo_grid row, household, resident and house id ranges, local households
-- (numbered by local_cum; owners and shopkeepers are drawn from them) and street-front
-- shops, one per $residents_per_shop residents and at least one a street.
-- params: $residents_per_shop integer, $shop_base bigint
create or replace temp table demo_grid_stat as
with
per_grid as (
    select
        grid_no,
        min(hh_id) as hh_lo,
        max(hh_id) as hh_hi,
        min(res_first_id) as res_lo,
        max(res_first_id + members - 1) as res_hi,
        min(house_id - vacant_before::integer) as house_lo,
        max(house_id) as house_hi,
        sum(members)::bigint as persons,
        count(*) filter (where is_local) as locals,
        min(local_cum) filter (where is_local) as local_lo
    from demo_hh
    group by grid_no
),

cumulated as (
    select
        g.*,
        p.* exclude (grid_no),
        (sum(p.persons) over (order by g.grid_no))::bigint as persons_through
    from per_grid as p
    inner join demo_grid as g on p.grid_no = g.grid_no
),

shared as (
    select
        *,
        persons_through // $residents_per_shop
        - (persons_through - persons) // $residents_per_shop as shops_by_share,
        row_number() over (partition by street_no order by grid_no) = 1 as first_in_street
    from cumulated
),

counted as (
    select
        *,
        shops_by_share
        + (first_in_street and sum(shops_by_share) over (partition by street_no) = 0)::bigint
            as shop_count
    from shared
)

select
    *,
    ($shop_base + 1 + sum(shop_count) over (order by grid_no) - shop_count)::bigint as shop_lo
from counted
order by grid_no
