-- The 待落地 queue: rows of committed batches that could not be placed, with their best
-- candidate grids, for batches loaded inside the caller's subtree (for a given owner, the batches
-- they loaded). A row is named by its name and address, never by its key (an ID number).
-- params: $org_code varchar, $owner varchar, $limit integer, $offset integer
select
    r.batch_id,
    r.row_no,
    r.candidates,
    b.file_name,
    b.source,
    s.name as source_name,
    b.created_at,
    (
        select first(v.value order by v.field)
        from import_value as v
        where
            v.batch_id = r.batch_id
            and v.row_no = r.row_no
            and v.field in ('resident_name', 'shop_name', 'house_address', 'household_address')
    ) as label,
    (
        select first(v.value order by v.field)
        from import_value as v
        where
            v.batch_id = r.batch_id
            and v.row_no = r.row_no
            and v.field in ('resident_current_address', 'shop_address', 'house_address', 'household_address', 'org')
    ) as address
from import_row as r
inner join import_batch as b on r.batch_id = b.id
left join import_source as s on b.source = s.code
where
    r.action = 'unplaced'
    and b.state = 'committed'
    and starts_with(b.org_code, $org_code)
    and ($owner is null or b.created_by = $owner)
order by b.created_at, r.row_no
limit $limit
offset $offset
