-- Every non-empty mapped cell of a batch in long form, its value (or problem) looked up among the
-- batch's cleaned distinct values: one pass over the file that classifying, the reject report and
-- the diff all read.
-- params: $batch_id varchar
insert into import_value (batch_id, row_no, field, value, problem, raw)
select
    r.batch_id,
    r.row_no,
    m.target,
    c.value,
    c.problem,
    case when c.problem is not null then ltrim(c.raw, chr(1) || chr(2)) end
from import_raw as r
inner join import_map as m on r.batch_id = m.batch_id
inner join import_clean as c
    on r.batch_id = c.batch_id and m.col = c.col and r.cells[m.col + 1] = c.raw
where r.batch_id = $batch_id and (c.value is not null or c.problem is not null)
