-- A field an admin added to the standard from consolidated forms: no typed column, its values
-- live in the record's attrs JSON; placed after the entity's other fields.
-- params: $code varchar, $entity varchar, $name varchar, $data_type varchar, $validator varchar, $sensitivity varchar, $synonyms varchar[], $description varchar
insert into field_def (
    code,
    entity,
    name,
    data_type,
    column_name,
    validator,
    sensitivity,
    synonyms,
    description,
    sort_order
)
select
    $code,
    $entity,
    $name,
    $data_type,
    null,
    $validator,
    $sensitivity,
    $synonyms,
    $description,
    coalesce(max(sort_order), 0) + 10
from field_def
where entity = $entity
