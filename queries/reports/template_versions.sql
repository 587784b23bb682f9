-- Every stored template version with its definition, for the catalogue loader to compare against.
-- params: none
select
    code,
    version,
    definition,
    source,
    catalog_version,
    offer
from report_template
order by code, version
