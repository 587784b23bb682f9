-- The live database's size as recorded by each good backup since $since, oldest first (growth).
-- params: $since timestamp
select
    finished_at,
    source_bytes
from backup
where ok and source_bytes is not null and finished_at >= $since
order by finished_at
