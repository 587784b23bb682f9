-- The cleaned values of the rows that may be written, in long form.
-- params: $batch_id varchar
insert into import_value (batch_id, row_no, field, value)
select
    c.batch_id,
    c.row_no,
    c.target,
    c.value
from import_cell as c
inner join import_row as r on c.batch_id = r.batch_id and c.row_no = r.row_no
where c.batch_id = $batch_id and r.action in ('match', 'new') and c.value is not null
