-- Records a batch inserted, changed or tagged: their rule tags are refreshed.
-- params: $batch_id varchar
select entity_id
from import_row
where batch_id = $batch_id and action = 'insert'
union
select entity_id
from import_change
where batch_id = $batch_id and kind = 'apply'
union
select coalesce(t.entity_id, r.entity_id)
from import_tag as t
left join import_row as r on t.batch_id = r.batch_id and t.row_no = r.row_no
where t.batch_id = $batch_id and coalesce(t.entity_id, r.entity_id) is not null
