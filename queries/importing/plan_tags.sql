-- The import tags a batch will set: the roster's tag ($roster_tag) on every row it accepts and
-- the tags a tag column names, where the record does not hold them yet (new rows always).
-- params: $batch_id varchar, $roster_tag varchar, $entity varchar
insert into import_tag (batch_id, row_no, entity_id, tag_id, action)
with
wanted as (
    select
        r.row_no,
        r.entity_id,
        unnest(
            list_distinct(
                coalesce(string_split(v.value, ','), [])
                || case when $roster_tag is not null then [$roster_tag] else [] end
            )
        ) as code
    from import_row as r
    left join import_value as v on r.batch_id = v.batch_id and r.row_no = v.row_no and v.field = 'tag'
    where
        r.batch_id = $batch_id
        and r.action in ('insert', 'update', 'unchanged', 'conflict', 'unplaced')
        -- the same key with another name: not tagged until a reviewer settles who it is
        and not exists (
            select 1
            from import_change as c
            where c.batch_id = r.batch_id and c.row_no = r.row_no and c.kind = 'identity'
        )
)

select
    $batch_id,
    w.row_no,
    w.entity_id,
    t.id,
    'set'
from wanted as w
inner join tag as t on w.code = t.code
where
    w.code <> ''
    and not exists (
        select 1
        from entity_tag as et
        where et.entity = $entity and et.entity_id = w.entity_id and et.tag_id = t.id
    )
