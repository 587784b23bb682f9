-- How many rows wait in 待落地 for batches loaded inside the caller's subtree (for a given owner,
-- the batches they loaded).
-- params: $org_code varchar, $owner varchar
select count(*)
from import_row as r
inner join import_batch as b on r.batch_id = b.id
where
    r.action = 'unplaced'
    and b.state = 'committed'
    and starts_with(b.org_code, $org_code)
    and ($owner is null or b.created_by = $owner)
