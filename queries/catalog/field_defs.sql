-- Active field definitions, of one entity or (entity null) of all, in display order.
-- params: $entity varchar
select
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
from field_def
where
    status = 'active'
    and ($entity::varchar is null or entity = $entity)
order by
    list_position(['resident', 'household', 'house', 'shop'], entity),
    sort_order,
    code
