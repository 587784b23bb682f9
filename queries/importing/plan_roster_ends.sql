-- A roster ends its tag for the records inside its area that hold it from the source and that
-- the file no longer names (their rows are absent, not merely refused: a refused row keeps it).
-- params: $batch_id varchar, $roster_tag varchar, $entity varchar, $area varchar
insert into import_tag (batch_id, row_no, entity_id, tag_id, action)
select
    $batch_id,
    null,
    et.entity_id,
    et.tag_id,
    'end'
from entity_tag as et
inner join tag as t on et.tag_id = t.id
inner join {entity_table} as e on et.entity_id = e.id
where
    et.entity = $entity
    and t.code = $roster_tag
    and et.source = 'import'
    and starts_with(e.grid_code, $area)
    and not exists (
        select 1
        from import_row as r
        where r.batch_id = $batch_id and r.entity_id = et.entity_id
    )
    and not exists (
        select 1
        from import_row as r
        where r.batch_id = $batch_id and r.key = e.{key_column} and r.action in ('reject', 'hold')
    )
