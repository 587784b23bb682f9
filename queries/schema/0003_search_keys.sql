-- Integer tails of ID and phone numbers: searching "后六位 / 后四位" or a whole number compares
-- small integers first instead of decompressing 9 million strings; ledger writes keep them current.
alter table resident add column id_tail integer;

alter table resident add column phone_tail integer;

update resident
set
    id_tail = try_cast(replace(right(id_number, 6), 'X', '0') as integer),
    phone_tail = try_cast(right(phone, 4) as integer);
