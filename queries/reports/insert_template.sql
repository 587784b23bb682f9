-- Store one new template version (versions are never updated: runs point at the one they used;
-- only `offer` changes when the admin adopts or declines a catalogue version).
-- params: $code varchar, $version integer, $name varchar, $department varchar, $frequency varchar, $entity varchar, $kind varchar, $status varchar, $valid_from date, $valid_to date, $manual_minutes integer, $definition json, $source varchar, $created_by varchar, $catalog_version integer, $offer varchar
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
    created_by,
    catalog_version,
    offer
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
    $created_by,
    $catalog_version,
    $offer
)
