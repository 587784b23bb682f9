-- One page of the change log of records inside an org subtree ({scope}: ledger.CHANGE_SCOPE), newest first, with optional filters, and the number of matching changes.
-- params: $org_code varchar, $username varchar, $entity varchar, $source varchar, $date_from date, $date_to date, $limit integer, $offset integer
with in_scope as (
    select 'resident' as entity, id from resident where starts_with(grid_code, $org_code)
    union all
    select 'household', id from household where starts_with(grid_code, $org_code)
    union all
    select 'house', id from house where starts_with(grid_code, $org_code)
    union all
    select 'shop', id from shop where starts_with(grid_code, $org_code)
)

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
    c.version,
    count(*) over () as total
from change_log as c
where
    {scope}
    and ($username is null or c.username = $username)
    and ($entity is null or c.entity = $entity)
    and ($source is null or starts_with(c.source, $source))
    and ($date_from is null or c.changed_at >= $date_from)
    and ($date_to is null or c.changed_at < $date_to::date + interval 1 day)
order by c.changed_at desc, c.entity_id, c.field
limit $limit offset $offset
