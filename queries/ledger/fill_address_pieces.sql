-- The two-character pieces of the addresses numbered after $after (those fill_address_book just
-- added), sorted by piece so a lookup reads few row groups.
-- params: $after bigint
insert into address_piece
select
    piece.token,
    b.id as address_id
from address_book as b,
    unnest(
        list_distinct([substr(b.address, i, 2) for i in range(1, length(b.address))])
    ) as piece (token)
where b.id > $after
order by piece.token, address_id
