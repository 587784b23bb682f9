-- Ids for the new records of a batch: after the ledger's largest, in file order (under the write lock).
-- params: $batch_id varchar
update import_row as r
set entity_id = n.base + n.rn
from (
    select
        row_no,
        (select coalesce(max(id), 0) from {entity_table}) as base,
        row_number() over (order by row_no) as rn
    from import_row
    where batch_id = $batch_id and action = 'insert'
) as n
where r.batch_id = $batch_id and r.row_no = n.row_no
