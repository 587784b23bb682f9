-- The households of some residents.
-- params: $ids bigint[]
select distinct household_id
from resident
where id in (select unnest($ids)) and household_id is not null
