-- Address links of these records of one entity ({entity_table}.{column}; all when $ids is null): their
-- address id with scope and status (schema 0180), in address order.
-- params: $entity varchar, $ids bigint[]
insert into address_link
select
    $entity as entity,
    b.id as address_id,
    e.id as record_id,
    e.grid_code,
    e.status
from {entity_table} as e
inner join address_book as b on e.{column} = b.address
where $ids is null or e.id in (select unnest($ids))
order by address_id, record_id
