-- An admin's correction of a consolidated form's entity or department.
-- params: $pile_id bigint, $seq integer, $entity varchar, $department varchar
update form_pile_form
set
    entity = coalesce($entity, entity),
    department = coalesce($department, department)
where pile_id = $pile_id and seq = $seq and status = 'ok'
