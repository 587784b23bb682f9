-- Save a new named query (its spec as JSON) for its owner and org unit; returns the new id.
-- params: $name varchar, $owner varchar, $org_code varchar, $shared boolean, $spec varchar
insert into saved_query (id, name, owner, org_code, shared, spec)
select
    coalesce(max(id), 0) + 1,
    $name,
    $owner,
    $org_code,
    $shared,
    $spec::json
from saved_query
returning id
