-- Other active residents in the same org subtree carrying the same ID number.
-- params: $org_code varchar, $id_number varchar, $id bigint
select count(*)
from resident
where
    starts_with(grid_code, $org_code)
    and id_number = $id_number
    and id != $id
    and status = 'active'
