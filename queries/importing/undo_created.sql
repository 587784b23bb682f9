-- Records a batch created, each with whether undo may remove it: only while nothing but the batch
-- ever wrote to it (no later change_log rows from elsewhere) and no record outside the batch
-- points at it.
-- params: $batch_id varchar
select
    c.entity,
    c.entity_id,
    not exists (
        select 1
        from change_log as later
        where
            later.entity = c.entity
            and later.entity_id = c.entity_id
            and coalesce(later.batch_id, '') <> $batch_id
    )
    and not (
        c.entity = 'household'
        and exists (
            select 1
            from resident as m
            where
                m.household_id = c.entity_id
                and m.id not in (
                    select entity_id
                    from change_log
                    where batch_id = $batch_id and entity = 'resident' and field = '_created'
                )
        )
    ) as removable
from change_log as c
where c.batch_id = $batch_id and c.field = '_created'
