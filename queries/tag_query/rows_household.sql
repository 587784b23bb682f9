-- Display columns of some households, looked up by id.
-- params: $ids bigint[]
select
    id,
    household_no,
    head_id,
    household_type,
    address,
    phone,
    grid_code
from household
where id in (select unnest($ids::bigint[]))
