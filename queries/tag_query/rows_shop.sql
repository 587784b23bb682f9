-- Display columns of some shops, looked up by id.
-- params: $ids bigint[]
select
    id,
    name,
    uscc,
    category,
    legal_person,
    phone,
    address,
    area_sqm,
    inspection_status,
    grid_code
from shop
where id in (select unnest($ids::bigint[]))
