-- Household number and head of some households, looked up by id.
-- params: $ids bigint[]
select
    id,
    household_no,
    head_id
from household
where id in (select unnest($ids::bigint[]))
