-- Columns of the ledger entity tables, to check field_def.column_name against the schema.
-- params: none
select
    table_name as entity,
    column_name
from information_schema.columns
where
    table_catalog = current_database()
    and table_schema = current_schema()
    and table_name in ('resident', 'household', 'house', 'shop')
order by table_name, ordinal_position
