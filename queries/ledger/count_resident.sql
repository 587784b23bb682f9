-- Residents matching the filters of search_resident, counted up to $cap: a common term needs no full scan.
-- params: $org_code varchar, $status varchar, $name varchar, $address varchar, $initials varchar, $digits varchar, $digits_in varchar, $id_tail integer, $phone_tail integer, $tail_mod integer, $cap integer
select count(*)
from (
    select 1
    from resident as r
    where
        starts_with(r.grid_code, $org_code)
        and ($status is null or r.status = $status)
        and ($name is null or contains(r.name, $name))
        and ($address is null or contains(r.current_address, $address))
        and ($initials is null or starts_with(r.name_initials, $initials))
        and (
            $digits is null
            or ($digits_in = 'tail' and r.id_tail % $tail_mod = $id_tail and ends_with(r.id_number, $digits))
            or ($digits_in = 'tail' and r.phone_tail = $phone_tail and ends_with(r.phone, $digits))
            or ($digits_in = 'contains' and (contains(r.id_number, $digits) or contains(r.phone, $digits)))
        )
    limit $cap
) as capped
