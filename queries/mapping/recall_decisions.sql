-- Remembered header decisions of one context that hold for an org (the caller's, or district-wide
-- when null), the most specific org first.
-- params: $context varchar, $org_code varchar
select
    header,
    field,
    org_code,
    decided_by,
    decided_at
from header_memory
where
    context = $context
    and starts_with(
        coalesce($org_code, (select min(code) from org_unit where level = 'district')), org_code
    )
order by length(org_code) desc, header
