-- Ids of one page of residents found through their search tokens (schema 0160), in register
-- order: a name piece, or the start of a reversed ID / phone number. The token rows carry scope
-- and status, so the resident table is not read; each row carries the number of matches. When
-- $whole is given and someone bears exactly that (upper-cased) name, only they are found.
-- params: $org_code varchar, $status varchar, $kind varchar, $low varchar, $high varchar, $name_part varchar, $whole varchar, $limit integer, $offset integer
with hits as (
    select
        t.resident_id,
        t.name
    from resident_search_token as t
    where
        t.kind = $kind
        and t.token >= $low
        and t.token < $high
        and ($name_part = '' or contains(t.name, $name_part))
        and starts_with(t.grid_code, $org_code)
        and ($status is null or t.status = $status)
),

chosen as (
    select hits.resident_id
    from hits
    where
        $whole = ''
        or hits.name = $whole
        or not exists (select 1 from hits as exact where exact.name = $whole)
)

select
    chosen.resident_id as id,
    count(*) over () as total
from chosen
order by chosen.resident_id
limit $limit offset $offset
