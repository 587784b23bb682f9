-- Ids of one page of households in an org subtree matching the search box, in a whitelisted order.
-- params: $org_code varchar, $status varchar, $text varchar, $initials varchar, $digits varchar, $limit integer, $offset integer
select h.id
from household as h
where
    starts_with(h.grid_code, $org_code)
    and ($status is null or h.status = $status)
    and ($text is null or contains(h.address, $text) or contains(h.household_no, $text))
    and ($initials is null or {head_initials})
    and ($digits is null or contains(h.household_no, $digits) or contains(h.phone, $digits))
order by {order_by}
limit $limit offset $offset
