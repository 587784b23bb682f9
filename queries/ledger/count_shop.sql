-- Shops matching the filters of search_shop, counted up to $cap: a common term needs no full scan.
-- params: $org_code varchar, $status varchar, $text varchar, $initials varchar, $digits varchar, $cap integer
select count(*)
from (
    select 1
    from shop as s
    where
        starts_with(s.grid_code, $org_code)
        and ($status is null or s.status = $status)
        and (
            $text is null or contains(s.name, $text) or contains(s.address, $text)
            or contains(s.legal_person, $text)
        )
        and ($initials is null or false)
        and ($digits is null or contains(s.uscc, $digits) or contains(s.phone, $digits))
    limit $cap
) as capped
