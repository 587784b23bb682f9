-- Ids of one page of records of an entity whose address contains $term, in register order,
-- through the address search tables (schema 0180): the addresses holding $piece (one of the
-- term's two-character pieces), checked whole with contains(), then their records in scope.
-- {word_match} adds the records whose other search columns (户号, 产权人, ...) contain $term:
-- `false` when word_piece shows they cannot (the scan is then planned away); {in_book} is
-- `false` when no address holds $piece (else DuckDB scans the whole book for contains()). Each
-- row carries the number of matches.
-- params: $entity varchar, $piece varchar, $term varchar, $org_code varchar, $status varchar, $limit integer, $offset integer
with places as (
    select b.id
    from address_book as b
    where
        {in_book}
        and b.id in (select p.address_id from address_piece as p where p.token = $piece)
        and contains(b.address, $term)
),

hits as (
    select l.record_id as id
    from address_link as l
    where
        l.entity = $entity
        and l.address_id in (select places.id from places)
        and starts_with(l.grid_code, $org_code)
        and ($status is null or l.status = $status)
    union
    select e.id
    from {entity_table} as e
    where
        {word_match}
        and starts_with(e.grid_code, $org_code)
        and ($status is null or e.status = $status)
)

select
    hits.id,
    count(*) over () as total
from hits
order by hits.id
limit $limit offset $offset
