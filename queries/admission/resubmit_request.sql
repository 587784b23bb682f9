-- A sent-back request answered and submitted again, with its (possibly revised) particulars.
-- params: $id bigint, $version integer, $purpose varchar, $legal_basis varchar, $frequency varchar, $period varchar, $expires_on date, $assessment json, $fingerprint varchar
update report_request
set
    purpose = $purpose,
    legal_basis = $legal_basis,
    frequency = $frequency,
    period = $period,
    expires_on = $expires_on,
    assessment = $assessment,
    fingerprint = $fingerprint,
    state = 'submitted',
    version = version + 1,
    updated_at = current_timestamp
where id = $id and version = $version and state = 'returned'
returning version
