-- Store one new template version (versions are never updated: runs point at the one they used).
-- params: $code varchar, $version integer, $name varchar, $department varchar, $frequency varchar, $entity varchar, $kind varchar, $status varchar, $valid_from date, $valid_to date, $manual_minutes integer, $definition json, $source varchar, $created_by varchar
insert into report_template (
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
    created_by
)
values (
    $code,
    $version,
    $name,
    $department,
    $frequency,
    $entity,
    $kind,
    $status,
    $valid_from,
    $valid_to,
    $manual_minutes,
    $definition,
    $source,
    $created_by
)
