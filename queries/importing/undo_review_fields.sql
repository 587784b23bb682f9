-- Fields changed again after a batch: undo leaves them and lists them for review in the record's
-- grid, the value the ledger holds now (the latest logged write of the field) beside the one undo
-- would put back.
-- params: $batch_id varchar, $source varchar
insert into value_conflict (
    id, batch_id, entity, entity_id, grid_code, field, current_value, current_source,
    incoming_value, incoming_source, kind
)
with
batch as (
    select
        entity,
        entity_id,
        field,
        old_value
    from change_log
    where batch_id = $batch_id and not starts_with(field, '_')
),

latest as (
    select
        cl.entity,
        cl.entity_id,
        cl.field,
        cl.new_value
    from change_log as cl
    semi join batch as b
        on cl.entity = b.entity and cl.entity_id = b.entity_id and cl.field = b.field
    qualify
        row_number() over (
            partition by cl.entity, cl.entity_id, cl.field
            order by cl.changed_at desc, cl.rowid desc
        ) = 1
)

select
    'undo-' || $batch_id || '-' || b.entity_id || '-' || b.field,
    $batch_id,
    b.entity,
    b.entity_id,
    coalesce(r.grid_code, h.grid_code, ho.grid_code, s.grid_code, ''),
    b.field,
    l.new_value,
    coalesce(p.source, 'console'),
    b.old_value,
    $source,
    'undo'
from batch as b
inner join latest as l
    on b.entity = l.entity and b.entity_id = l.entity_id and b.field = l.field
left join field_provenance as p
    on b.entity = p.entity and b.entity_id = p.entity_id and b.field = p.field
left join resident as r on b.entity = 'resident' and b.entity_id = r.id
left join household as h on b.entity = 'household' and b.entity_id = h.id
left join house as ho on b.entity = 'house' and b.entity_id = ho.id
left join shop as s on b.entity = 'shop' and b.entity_id = s.id
where coalesce(p.batch_id, '') <> $batch_id
