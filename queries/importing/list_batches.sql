-- The import log: batches loaded for the caller's org subtree, newest first.
-- params: $org_code varchar, $limit integer, $offset integer
select
    b.id,
    b.source,
    s.name as source_name,
    b.entity,
    b.file_name,
    b.sha256,
    b.size_bytes,
    b.org_code,
    b.state,
    b.counts,
    b.message,
    b.created_by,
    b.created_at,
    b.committed_by,
    b.committed_at,
    b.undone_by,
    b.undone_at
from import_batch as b
left join import_source as s on s.code = b.source
where starts_with(b.org_code, $org_code)
order by b.created_at desc, b.id
limit $limit
offset $offset
