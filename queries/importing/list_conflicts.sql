-- The review queue: value conflicts of records inside the caller's subtree, oldest first (for a
-- given owner, only those of the batches they loaded).
-- params: $org_code varchar, $owner varchar, $state varchar, $limit integer, $offset integer
select
    c.id,
    c.batch_id,
    c.entity,
    c.entity_id,
    c.grid_code,
    g.full_name as place,
    c.field,
    c.row_no,
    c.current_value,
    c.current_source,
    coalesce(cs.name, c.current_source) as current_source_name,
    c.incoming_value,
    c.incoming_source,
    coalesce(s.name, c.incoming_source) as incoming_source_name,
    c.kind,
    c.state,
    c.decided_by,
    c.decided_at,
    c.created_at,
    b.file_name
from value_conflict as c
left join import_source as s on c.incoming_source = s.code
left join import_source as cs on c.current_source = cs.code
left join import_batch as b on c.batch_id = b.id
left join org_unit as g on c.grid_code = g.code
where
    starts_with(c.grid_code, $org_code)
    and c.state = $state
    and ($owner is null or b.created_by = $owner)
order by c.created_at, c.id
limit $limit
offset $offset
