-- Register a new 走访 campaign (its tasks follow in the same transaction).
-- params: $id varchar, $name varchar, $org_code varchar, $entity varchar, $verify_fields varchar[], $collect_fields varchar[], $starts_on date, $due_on date, $username varchar
insert into campaign (
    id, name, org_code, entity, verify_fields, collect_fields, starts_on, due_on, created_by
)
values (
    $id, $name, $org_code, $entity, $verify_fields, $collect_fields, $starts_on, $due_on, $username
)
