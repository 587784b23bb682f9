-- Ids of one page of shops in an org subtree matching the search box, in a whitelisted order.
-- params: $org_code varchar, $status varchar, $text varchar, $initials varchar, $digits varchar, $limit integer, $offset integer
select s.id
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
order by {order_by}
limit $limit offset $offset
