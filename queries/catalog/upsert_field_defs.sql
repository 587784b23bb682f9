-- Insert or update field definitions given as parallel lists; status is left to the admin.
-- params: $code varchar[], $entity varchar[], $name varchar[], $data_type varchar[], $column_name varchar[], $code_list varchar[], $required boolean[], $validator varchar[], $max_length integer[], $sensitivity varchar[], $synonyms varchar[][], $description varchar[], $sort_order integer[]
insert into field_def (
    code,
    entity,
    name,
    data_type,
    column_name,
    code_list,
    required,
    validator,
    max_length,
    sensitivity,
    synonyms,
    description,
    sort_order
)
select
    unnest($code::varchar[]),
    unnest($entity::varchar[]),
    unnest($name::varchar[]),
    unnest($data_type::varchar[]),
    unnest($column_name::varchar[]),
    unnest($code_list::varchar[]),
    unnest($required::boolean[]),
    unnest($validator::varchar[]),
    unnest($max_length::integer[]),
    unnest($sensitivity::varchar[]),
    unnest($synonyms::varchar[][]),
    unnest($description::varchar[]),
    unnest($sort_order::integer[])
on conflict (code) do update set
    entity = excluded.entity,
    name = excluded.name,
    data_type = excluded.data_type,
    column_name = excluded.column_name,
    code_list = excluded.code_list,
    required = excluded.required,
    validator = excluded.validator,
    max_length = excluded.max_length,
    sensitivity = excluded.sensitivity,
    synonyms = excluded.synonyms,
    description = excluded.description,
    sort_order = excluded.sort_order
