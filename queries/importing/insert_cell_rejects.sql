-- Every cell that failed cleaning goes to the reject report: row, column header, value, reason.
-- params: $batch_id varchar
insert into import_reject (batch_id, row_no, column_name, value, reason)
select
    r.batch_id,
    r.row_no,
    m.header,
    ltrim(c.raw, chr(1) || chr(2)),
    c.problem
from import_raw as r
inner join import_map as m on r.batch_id = m.batch_id
inner join import_clean as c
    on r.batch_id = c.batch_id and m.col = c.col and r.cells[m.col + 1] = c.raw
where r.batch_id = $batch_id and c.problem is not null
