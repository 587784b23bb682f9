-- Houses matching the filters of search_house, counted up to $cap: a common term needs no full scan.
-- params: $org_code varchar, $status varchar, $text varchar, $initials varchar, $digits varchar, $cap integer
select count(*)
from (
    select 1
    from house as h
    where
        starts_with(h.grid_code, $org_code)
        and ($status is null or h.status = $status)
        and ($text is null or contains(h.address, $text) or contains(h.owner_name, $text))
        and ($initials is null or false)
        and ($digits is null or contains(h.house_no, $digits) or contains(h.owner_phone, $digits))
    limit $cap
) as capped
