-- Register one report request (id allocated under the write lock); returns the new id.
-- params: $kind varchar, $department varchar, $requested_by varchar, $title varchar, $purpose varchar, $legal_basis varchar, $frequency varchar, $org_code varchar, $period varchar, $entity varchar, $filter json, $expires_on date, $fields json, $form json, $assessment json, $template_code varchar, $fingerprint varchar
insert into report_request (
    id,
    kind,
    department,
    requested_by,
    title,
    purpose,
    legal_basis,
    frequency,
    org_code,
    period,
    entity,
    filter,
    expires_on,
    fields,
    form,
    assessment,
    template_code,
    state,
    fingerprint
)
select
    coalesce(max(id), 0) + 1,
    $kind,
    $department,
    $requested_by,
    $title,
    $purpose,
    $legal_basis,
    $frequency,
    $org_code,
    $period,
    $entity,
    $filter,
    $expires_on,
    $fields,
    $form,
    $assessment,
    $template_code,
    'submitted',
    $fingerprint
from report_request
returning id
