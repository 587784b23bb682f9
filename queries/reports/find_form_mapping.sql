-- The header mapping remembered for an uploaded form, by the signature of its header block.
-- params: $signature varchar
select
    signature,
    form_name,
    entity,
    mapping,
    updated_by,
    updated_at
from report_form_mapping
where signature = $signature
