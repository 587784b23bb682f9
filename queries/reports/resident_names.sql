-- Names of some residents (parents, household heads) by id.
-- params: $ids bigint[]
select
    id,
    name
from resident
where id in (select unnest($ids::bigint[]))
