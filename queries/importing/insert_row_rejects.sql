-- Rows refused or held as a whole (no key, a repeated key, outside the caller's subtree, held for
-- review, not placed) go to the reject report with the key column and its value.
-- params: $batch_id varchar, $key_header varchar
insert into import_reject (batch_id, row_no, column_name, value, reason)
select
    batch_id,
    row_no,
    $key_header,
    key,
    reason
from import_row
where batch_id = $batch_id and reason is not null and action in ('reject', 'hold', 'outside')
