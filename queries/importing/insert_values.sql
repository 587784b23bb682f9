-- The cleaned values of the rows that may be written, in long form (each cell's value looked up
-- among the batch's cleaned distinct values).
-- params: $batch_id varchar
insert into import_value (batch_id, row_no, field, value)
select
    r.batch_id,
    r.row_no,
    m.target,
    c.value
from import_raw as r
inner join import_row as w on r.batch_id = w.batch_id and r.row_no = w.row_no
inner join import_map as m on r.batch_id = m.batch_id
inner join import_clean as c
    on r.batch_id = c.batch_id and m.col = c.col and r.cells[m.col + 1] = c.raw
where r.batch_id = $batch_id and w.action in ('match', 'new') and c.value is not null
