-- The head of some households.
-- params: $ids bigint[]
select
    id,
    head_id
from household
where id in (select unnest($ids::bigint[]))
