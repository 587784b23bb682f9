-- Catalogue versions of templates edited in the console, waiting for the admin, with the
-- version in use beside each.
-- params: none
with in_use as (
    select
        code,
        version,
        created_by,
        created_at
    from report_template
    where offer is null
    qualify row_number() over (partition by code order by version desc) = 1
)

select
    offered.code,
    offered.version,
    offered.catalog_version,
    offered.name,
    offered.definition,
    offered.created_at,
    in_use.version as in_use_version,
    in_use.created_by as in_use_by,
    in_use.created_at as in_use_at
from report_template as offered
left join in_use on in_use.code = offered.code
where offered.offer = 'pending'
order by offered.code, offered.version
