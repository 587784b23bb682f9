-- Number of change-log rows matching the same filters as list_changes.
-- params: $username varchar, $entity varchar, $source varchar, $date_from date, $date_to date
select count(*)
from change_log
where
    ($username is null or username = $username)
    and ($entity is null or entity = $entity)
    and ($source is null or starts_with(source, $source))
    and ($date_from is null or changed_at >= $date_from)
    and ($date_to is null or changed_at < $date_to + interval 1 day)
