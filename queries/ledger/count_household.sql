-- Households matching the filters of search_household, counted up to $cap: a common term needs no full scan.
-- params: $org_code varchar, $status varchar, $text varchar, $initials varchar, $digits varchar, $cap integer
select count(*)
from (
    select 1
    from household as h
    where
        starts_with(h.grid_code, $org_code)
        and ($status is null or h.status = $status)
        and ($text is null or contains(h.address, $text) or contains(h.household_no, $text))
        and ($initials is null or {head_initials})
        and ($digits is null or contains(h.household_no, $digits) or contains(h.phone, $digits))
    limit $cap
) as capped
