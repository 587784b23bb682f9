-- Remember (or update) the confirmed header mapping of an uploaded form.
-- params: $signature varchar, $form_name varchar, $entity varchar, $mapping json, $updated_by varchar
insert into report_form_mapping (signature, form_name, entity, mapping, updated_by)
values ($signature, $form_name, $entity, $mapping, $updated_by)
on conflict (signature) do update set
    form_name = excluded.form_name,
    entity = excluded.entity,
    mapping = excluded.mapping,
    updated_by = excluded.updated_by,
    updated_at = now()
