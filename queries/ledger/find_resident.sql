-- Ids of one page of residents in an org subtree matching a whitelisted condition, in a
-- whitelisted order. Only the filter and sort columns are read; shown columns are fetched by id.
-- params: $org_code varchar, $status varchar, $limit integer, $offset integer
select r.id
from resident as r
where
    starts_with(r.grid_code, $org_code)
    and ($status is null or r.status = $status)
    and {match}
order by {order_by}
limit $limit offset $offset
