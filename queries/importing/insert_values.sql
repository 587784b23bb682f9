-- Every non-empty mapped cell of a batch in long form, its value (or problem) looked up among the
-- batch's cleaned distinct values: one pass over the file that classifying, the reject report and
-- the diff all read.
-- params: $batch_id varchar
insert into import_value (batch_id, row_no, field, value, problem, raw)
with
-- The cells first: the lookup below must join on (column, text), never on the batch alone.
cells as (
    select
        r.row_no,
        m.col,
        m.target,
        r.cells[m.col + 1] as raw
    from import_raw as r
    inner join import_map as m on r.batch_id = m.batch_id
    where r.batch_id = $batch_id and m.batch_id = $batch_id
),

cleaned as (
    select
        col,
        raw,
        value,
        problem
    from import_clean
    where batch_id = $batch_id and (value is not null or problem is not null)
)

select
    $batch_id,
    cells.row_no,
    cells.target,
    cleaned.value,
    cleaned.problem,
    case when cleaned.problem is not null then ltrim(cleaned.raw, chr(1) || chr(2)) end
from cells
inner join cleaned on cells.col = cleaned.col and cells.raw = cleaned.raw
