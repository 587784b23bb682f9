-- Grids of the org tree with their share of the residents and the road their houses are on.
-- A community named after a road (东坡路社区) lives on that road.
-- params: $seed integer, $residents bigint, $streets struct[]
create or replace temp table demo_grid as
with
street as (
    select
        *,
        row_number() over (order by street_code) - 1 as street_no
    from (select unnest($streets, recursive := true))
),

grid as (
    select
        g.code as grid_code,
        c.code as community_code,
        s.street_code,
        s.street_no,
        s.old_jianggan,
        coalesce(
            nullif(regexp_extract(c.name, '^(.*[路街巷])社区$', 1), ''),
            s.roads[1 + demo_rand(g.code, $seed, 1, len(s.roads))]
        ) as road,
        1 + 2 * demo_rand(g.code, $seed, 2, 300) as road_no,
        60 + demo_rand(g.code, $seed, 3, 81) as weight
    from org_unit as g
    inner join org_unit as c on g.parent_code = c.code
    inner join street as s on c.parent_code = s.street_code
    where g.level = 'grid'
),

numbered as (
    select
        *,
        (row_number() over (order by grid_code) - 1)::integer as grid_no,
        sum(weight) over (order by grid_code) - weight as weight_before,
        sum(weight) over () as weight_total
    from grid
)

select
    grid_code,
    community_code,
    street_code,
    street_no,
    old_jianggan,
    road,
    road_no,
    grid_no,
    cast($residents * weight_before // weight_total as bigint) as res_start
from numbered
order by grid_no
