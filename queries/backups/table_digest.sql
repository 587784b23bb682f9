-- Rows and an order-independent content hash of one table; query_table() takes the name as a
-- value, so no identifier is ever spliced into SQL.
-- params: $table varchar
select
    count(*) as row_count,
    coalesce(sum(hash(t)::hugeint), 0)::varchar as content_hash
from query_table($table) as t
