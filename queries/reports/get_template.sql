-- One template version: the one in use (the highest not waiting as an offer) when $version is
-- null.
-- params: $code varchar, $version integer
select
    code,
    version,
    name,
    department,
    frequency,
    entity,
    kind,
    status,
    valid_from,
    valid_to,
    manual_minutes,
    definition,
    source,
    created_by,
    created_at
from report_template
where
    code = $code
    and ($version::integer is null and offer is null or version = $version)
order by version desc
limit 1
