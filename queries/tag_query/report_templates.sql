-- Saved queries turned into report templates, for the report centre to list.
-- params: none
select
    id,
    name,
    owner,
    org_code,
    shared,
    spec,
    created_at,
    updated_at
from saved_query
where as_report
order by updated_at desc, id desc
