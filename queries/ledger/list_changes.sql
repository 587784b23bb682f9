-- One page of the change log of records inside an org subtree, newest first, with optional filters.
-- params: $org_code varchar, $username varchar, $entity varchar, $source varchar, $date_from date, $date_to date, $limit integer, $offset integer
select
    c.changed_at,
    c.username,
    c.entity,
    c.entity_id,
    c.field,
    c.old_value,
    c.new_value,
    c.source,
    c.batch_id,
    c.version
from change_log as c
where
    ($username is null or c.username = $username)
    and ($entity is null or c.entity = $entity)
    and ($source is null or starts_with(c.source, $source))
    and ($date_from is null or c.changed_at >= $date_from)
    and ($date_to is null or c.changed_at < $date_to::date + interval 1 day)
    and case c.entity
        when 'resident' then exists (
            select 1 from resident as e
            where e.id = c.entity_id and starts_with(e.grid_code, $org_code)
        )
        when 'household' then exists (
            select 1 from household as e
            where e.id = c.entity_id and starts_with(e.grid_code, $org_code)
        )
        when 'house' then exists (
            select 1 from house as e
            where e.id = c.entity_id and starts_with(e.grid_code, $org_code)
        )
        when 'shop' then exists (
            select 1 from shop as e
            where e.id = c.entity_id and starts_with(e.grid_code, $org_code)
        )
        else false
    end
order by c.changed_at desc, c.entity_id, c.field
limit $limit offset $offset
