-- Residents found by the key of find_resident_keyed inside the org subtree.
-- params: $org_code varchar, $status varchar
with hits as materialized (
    select
        r.grid_code,
        r.status
    from resident as r
    where {key}
)

select count(*)
from hits
where
    starts_with(hits.grid_code, $org_code)
    and ($status is null or hits.status = $status)
