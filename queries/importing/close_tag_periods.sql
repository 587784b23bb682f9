-- A roster ends tags: close their open periods with the batch and today's date; a tag set before
-- periods were kept (no open period) gets one from its assignment, closed at once.
-- params: $batch_id varchar, $entity varchar, $source varchar, $today date
insert into tag_period (entity, entity_id, tag_id, source, set_batch, set_at, set_by, end_batch, ended_on)
select
    $entity,
    et.entity_id,
    et.tag_id,
    $source,
    'before-periods',
    et.assigned_at,
    et.assigned_by,
    $batch_id,
    $today
from import_tag as t
inner join entity_tag as et
    on et.entity = $entity and t.entity_id = et.entity_id and t.tag_id = et.tag_id and et.source = 'import'
where
    t.batch_id = $batch_id
    and t.action = 'end'
    and not exists (
        select 1
        from tag_period as p
        where
            p.entity = $entity
            and p.entity_id = t.entity_id
            and p.tag_id = t.tag_id
            and p.end_batch is null
    )
