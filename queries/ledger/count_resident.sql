-- Number of residents matching the same filters as search_resident.
-- params: $org_code varchar, $status varchar, $text varchar, $initials varchar, $digits varchar
select count(*)
from resident as r
where
    starts_with(r.grid_code, $org_code)
    and ($status is null or r.status = $status)
    and ($text is null or contains(r.name, $text) or contains(r.current_address, $text))
    and ($initials is null or starts_with(r.name_initials, $initials))
    and ($digits is null or contains(r.id_number, $digits) or contains(r.phone, $digits))
