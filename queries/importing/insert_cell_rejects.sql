-- Every cell that failed cleaning goes to the reject report: row, column header, value, reason.
-- params: $batch_id varchar
insert into import_reject (batch_id, row_no, column_name, value, reason)
select
    v.batch_id,
    v.row_no,
    m.header,
    v.raw,
    v.problem
from import_value as v
inner join import_map as m on v.batch_id = m.batch_id and v.field = m.target
where v.batch_id = $batch_id and v.problem is not null
