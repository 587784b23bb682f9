-- Every cell that failed cleaning goes to the reject report: row, column header, value, reason.
-- params: $batch_id varchar
insert into import_reject (batch_id, row_no, column_name, value, reason)
select
    c.batch_id,
    c.row_no,
    m.header,
    ltrim(c.raw, chr(1) || chr(2)),
    c.problem
from import_cell as c
inner join import_map as m on c.batch_id = m.batch_id and c.col = m.col
where c.batch_id = $batch_id and c.problem is not null
