-- Remove records an undone batch created and nobody else touched ({entity_table} whitelisted).
-- params: $ids bigint[]
delete from {entity_table}
where id in (select unnest($ids))
