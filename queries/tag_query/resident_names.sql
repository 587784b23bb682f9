-- Names of some residents (household heads, mothers), looked up by id.
-- params: $ids bigint[]
select
    id,
    name
from resident
where id in (select unnest($ids::bigint[]))
