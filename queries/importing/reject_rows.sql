-- The reject report of a batch: row as a spreadsheet shows it, column, value, reason, and how
-- sensitive the column's field is (masked for uncleared roles).
-- params: $batch_id varchar
select
    r.row_no,
    r.column_name,
    r.value,
    r.reason,
    f.sensitivity,
    f.data_type
from import_reject as r
left join import_map as m on r.batch_id = m.batch_id and r.column_name = m.header
left join field_def as f
    on f.code = case when starts_with(m.target, 'head:') then substr(m.target, 6) else m.target end
where r.batch_id = $batch_id
order by r.row_no, r.column_name
