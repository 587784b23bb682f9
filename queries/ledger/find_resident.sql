-- Ids of one page of residents in an org subtree matching the search box, in a whitelisted order.
-- Only the filter and sort columns are read: the page's other columns are fetched by id after.
-- params: $org_code varchar, $status varchar, $name varchar, $address varchar, $initials varchar, $digits varchar, $digits_in varchar, $id_tail integer, $phone_tail integer, $tail_mod integer, $limit integer, $offset integer
select r.id
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
order by {order_by}
limit $limit offset $offset
