-- Residents matching the condition of find_resident, counted up to $cap: a common term needs no
-- full scan.
-- params: $org_code varchar, $status varchar, $cap integer
select count(*)
from (
    select 1
    from resident as r
    where
        starts_with(r.grid_code, $org_code)
        and ($status is null or r.status = $status)
        and {match}
    limit $cap
) as capped
