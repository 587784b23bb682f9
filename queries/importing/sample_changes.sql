-- The first field changes of each kind (apply, conflict, lower, identity): old → new, sources.
-- params: $batch_id varchar, $per_kind integer
with
ranked as (
    select
        *,
        row_number() over (partition by kind order by row_no, field) as n
    from import_change
    where batch_id = $batch_id
)

select
    c.kind,
    c.row_no,
    c.entity_id,
    c.field,
    c.old_value,
    c.new_value,
    c.old_source,
    s.name as old_source_name,
    r.key
from ranked as c
left join import_source as s on c.old_source = s.code
left join import_row as r on c.batch_id = r.batch_id and c.row_no = r.row_no
where c.n <= $per_kind
order by c.kind, c.row_no, c.field
