-- Display columns of some residents (one page or one export batch), looked up by id.
-- params: $ids bigint[]
select
    id,
    name,
    sex,
    birth_date,
    id_number,
    phone,
    residence_type,
    birth_order,
    mother_id,
    household_id,
    relation_to_head,
    current_address,
    grid_code
from resident
where id in (select unnest($ids::bigint[]))
