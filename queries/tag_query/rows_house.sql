-- Display columns of some houses, looked up by id.
-- params: $ids bigint[]
select
    id,
    house_no,
    address,
    use_type,
    occupancy,
    area_sqm,
    property_type,
    owner_name,
    owner_phone,
    tenant_count,
    grid_code
from house
where id in (select unnest($ids::bigint[]))
