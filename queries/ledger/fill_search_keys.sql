-- Recompute the ID and phone tails of the residents a write batch touched (all when $ids is null).
-- params: $ids bigint[]
update resident
set
    id_tail = try_cast(replace(right(id_number, 6), 'X', '0') as integer),
    phone_tail = try_cast(right(phone, 4) as integer)
where $ids is null or id in (select unnest($ids))
