-- One backflow source from data/catalog/sources.yaml (matched by code; fields and tags follow).
-- params: $code varchar, $name varchar, $department varchar, $entity varchar, $importable boolean, $description varchar, $sort_order integer
insert into import_source (code, name, department, entity, importable, description, sort_order)
values ($code, $name, $department, $entity, $importable, $description, $sort_order)
on conflict (code) do update set
    name = excluded.name,
    department = excluded.department,
    entity = excluded.entity,
    importable = excluded.importable,
    description = excluded.description,
    sort_order = excluded.sort_order
