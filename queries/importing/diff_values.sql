-- Field-by-field difference of the matched rows against the ledger, with the survivorship rule:
-- an empty ledger field is filled; a source refreshes its own values; otherwise the higher
-- priority wins, equal priorities that disagree are a conflict, a lower one is kept and recorded
-- but not applied. A row whose name differs from the record's (same ID, another name) turns every
-- difference into an identity conflict for a reviewer. Kept columns (attr:…) are always applied.
-- params: $batch_id varchar, $source varchar, $entity varchar, $name_field varchar, $console varchar
insert into import_change (batch_id, row_no, entity_id, field, old_value, new_value, old_source, kind)
with
incoming as (
    select
        r.row_no,
        r.entity_id,
        v.field,
        v.value
    from import_row as r
    inner join import_value as v on r.batch_id = v.batch_id and r.row_no = v.row_no
    where
        r.batch_id = $batch_id
        and r.action = 'match'
        and (
            starts_with(v.field, 'attr:')
            or v.field in (select field from import_source_field where source = $source)
        )
),

identity_mismatch as (
    select distinct i.row_no
    from incoming as i
    inner join import_current as c
        on c.batch_id = $batch_id and i.entity_id = c.entity_id and i.field = c.field
    where i.field = $name_field and c.value is not null and c.value <> i.value
),

provenance as (
    select
        entity_id,
        field,
        source
    from field_provenance
    where
        entity = $entity
        and entity_id in (select entity_id from incoming)
)

select
    $batch_id,
    i.row_no,
    i.entity_id,
    i.field,
    c.value,
    i.value,
    coalesce(p.source, $console),
    case
        when x.row_no is not null then 'identity'
        when c.value is null or starts_with(i.field, 'attr:') then 'apply'
        when coalesce(p.source, $console) = $source then 'apply'
        when coalesce(incoming_rank.priority, 0) > coalesce(current_rank.priority, 0) then 'apply'
        when coalesce(incoming_rank.priority, 0) = coalesce(current_rank.priority, 0) then 'conflict'
        else 'lower'
    end
from incoming as i
left join import_current as c
    on c.batch_id = $batch_id and i.entity_id = c.entity_id and i.field = c.field
left join provenance as p on i.entity_id = p.entity_id and i.field = p.field
left join import_source_field as incoming_rank on incoming_rank.source = $source and i.field = incoming_rank.field
left join import_source_field as current_rank
    on current_rank.source = coalesce(p.source, $console) and i.field = current_rank.field
left join identity_mismatch as x on i.row_no = x.row_no
where c.value is distinct from i.value
