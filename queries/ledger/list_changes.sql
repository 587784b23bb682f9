-- One page of the change log across the ledger, newest first, with optional filters.
-- params: $username varchar, $entity varchar, $source varchar, $date_from date, $date_to date, $limit integer, $offset integer
select
    changed_at,
    username,
    entity,
    entity_id,
    field,
    old_value,
    new_value,
    source,
    batch_id,
    version
from change_log
where
    ($username is null or username = $username)
    and ($entity is null or entity = $entity)
    and ($source is null or starts_with(source, $source))
    and ($date_from is null or changed_at >= $date_from)
    and ($date_to is null or changed_at < $date_to + interval 1 day)
order by changed_at desc, entity_id, field
limit $limit offset $offset
