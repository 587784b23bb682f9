-- Ids of one page of records of an entity whose address contains $term, in register order,
-- through the address search tables (schema 0180): the addresses holding $piece (one of the
-- term's two-character pieces), checked whole with contains(), then their records in scope.
-- {word_match} adds the records whose other search columns (户号, 产权人, ...) contain $term:
-- `false` when word_piece shows they cannot (the scan is then planned away); {in_book} is
-- `false` when no address holds $piece (else DuckDB scans the whole book for contains()). Each
-- row carries the number of matches. The term comes through the holders so that contains() is
-- checked on them after the join: pushed into the book scan, it read all 3 million addresses
-- when the holders are spread over the book (26 of 春东路267: 48 → 14 ms).
-- params: $entity varchar, $piece varchar, $term varchar, $org_code varchar, $status varchar, $limit integer, $offset integer
with places as (
    select b.id
    from address_book as b
    inner join (
        select
            p.address_id,
            $term as term
        from address_piece as p
        where p.token = $piece
    ) as holders on b.id = holders.address_id
    where {in_book} and contains(b.address, holders.term)
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
