-- Exact duplicate rows of a file (every cell the same): the later ones are collapsed into the first.
-- params: $batch_id varchar
insert into import_row (batch_id, row_no, action, reason)
with
numbered as (
    select
        row_no,
        min(row_no) over (partition by cells) as first_row
    from import_raw
    where batch_id = $batch_id
)

select
    $batch_id,
    row_no,
    'duplicate',
    '与第 ' || first_row || ' 行完全相同，已合并为一行'
from numbered
where row_no <> first_row
