-- Active members of the given households inside the caller's subtree, in household order with
-- the head first (the rows of a paper collection sheet).
-- params: $ids bigint[], $org_code varchar
select r.*
from resident as r
where
    starts_with(r.grid_code, $org_code)
    and r.status = 'active'
    and list_contains($ids, r.household_id)
order by r.household_id, r.relation_to_head, r.birth_date, r.id
