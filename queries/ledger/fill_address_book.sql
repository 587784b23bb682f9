-- Addresses of these records ({entity_table}.{column}; all records when $ids is null) that the address
-- book lacks, numbered on after the last id in address order, with their two-character pieces
-- (schema 0180). A new address found nowhere else costs one book row and its pieces.
-- params: $ids bigint[]
insert into address_book
with known as (
    select coalesce(max(id), 0) as last_id from address_book
),

fresh as (
    select distinct e.{column} as address
    from {entity_table} as e
    where
        e.{column} is not null
        and ($ids is null or e.id in (select unnest($ids)))
)

select
    known.last_id + row_number() over (order by fresh.address) as id,
    fresh.address
from fresh, known
where not exists (select 1 from address_book as b where b.address = fresh.address)
