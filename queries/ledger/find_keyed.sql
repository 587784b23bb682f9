-- Ids of one page of records of an entity found by a selective key (a one-character name
-- through the name index, or the ids of indexed hits to be put in another order). The key is
-- looked up alone; scope and status apply to its few hits, and the order is read for those ids
-- alone. Each row carries the number of matches.
-- params: $org_code varchar, $status varchar, $limit integer, $offset integer
with hits as materialized (
    select
        e.id,
        e.grid_code,
        e.status
    from {entity_table} as e
    where {key}
)

select
    e.id,
    count(*) over () as total
from {entity_table} as e
where e.id in (
    select hits.id
    from hits
    where
        starts_with(hits.grid_code, $org_code)
        and ($status is null or hits.status = $status)
)
order by {order_by}
limit $limit offset $offset
