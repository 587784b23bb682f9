-- A matched row becomes an update (something applies), a conflict (only conflicts) or unchanged.
-- params: $batch_id varchar
update import_row as r
set
    action = case
        when s.applies > 0 then 'update'
        when s.conflicts > 0 then 'conflict'
        else 'unchanged'
    end
from (
    select
        m.row_no,
        count(c.field) filter (where c.kind = 'apply') as applies,
        count(c.field) filter (where c.kind in ('conflict', 'identity')) as conflicts
    from import_row as m
    left join import_change as c on m.batch_id = c.batch_id and m.row_no = c.row_no
    where m.batch_id = $batch_id and m.action = 'match'
    group by m.row_no
) as s
where r.batch_id = $batch_id and r.row_no = s.row_no and r.action = 'match'
