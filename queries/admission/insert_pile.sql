-- Register one consolidation run (id allocated under the write lock); returns the new id.
-- params: $name varchar, $department varchar, $fingerprint varchar, $files integer, $forms integer, $skipped integer, $created_by varchar
insert into form_pile (id, name, department, fingerprint, files, forms, skipped, created_by)
select
    coalesce(max(id), 0) + 1,
    $name,
    $department,
    $fingerprint,
    $files,
    $forms,
    $skipped,
    $created_by
from form_pile
returning id
