-- Number of change-log rows matching the same scope and filters as list_changes.
-- params: $org_code varchar, $username varchar, $entity varchar, $source varchar, $date_from date, $date_to date
select count(*)
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
