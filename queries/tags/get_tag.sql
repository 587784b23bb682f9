-- One tag by code, whatever its kind and status.
-- params: $code varchar
select
    id,
    code,
    name,
    category,
    entity,
    kind,
    rule,
    sensitivity,
    status
from tag
where code = $code
