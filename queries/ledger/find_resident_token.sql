-- Ids of one page of residents found through their search tokens (schema 0160), in register
-- order: a name piece, or the start of a reversed ID / phone number. The token rows carry scope
-- and status, so neither the page nor its count reads the resident table.
-- params: $org_code varchar, $status varchar, $kind varchar, $low varchar, $high varchar, $name_part varchar, $limit integer, $offset integer
select t.resident_id as id
from resident_search_token as t
where
    t.kind = $kind
    and t.token >= $low
    and t.token < $high
    and ($name_part = '' or contains(t.name, $name_part))
    and starts_with(t.grid_code, $org_code)
    and ($status is null or t.status = $status)
order by t.resident_id
limit $limit offset $offset
