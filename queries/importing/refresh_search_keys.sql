-- ID and phone tails of the residents a batch updated (search reads these integer columns).
-- params: $batch_id varchar
update resident
set
    id_tail = try_cast(replace(right(id_number, 6), 'X', '0') as integer),
    phone_tail = try_cast(right(phone, 4) as integer)
where id in (
    select entity_id
    from import_change
    where batch_id = $batch_id and kind = 'apply' and field = 'resident_phone'
)
