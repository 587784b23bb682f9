-- Households the given residents belong to (their members' rules depend on one another).
-- params: $ids bigint[]
select distinct household_id
from resident
where
    id in (select unnest($ids::bigint[]))
    and household_id is not null
