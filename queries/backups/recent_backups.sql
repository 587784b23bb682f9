-- Recent backup attempts, newest first, for the health page.
-- params: $limit integer
select
    id,
    path,
    kind,
    username,
    started_at,
    finished_at,
    ok,
    message,
    source_bytes,
    backup_bytes,
    tables,
    total_rows
from backup
order by finished_at desc
limit $limit
