-- Residents found by the tokens of find_resident_token inside the org subtree.
-- params: $org_code varchar, $status varchar, $kind varchar, $low varchar, $high varchar, $name_part varchar
select count(*)
from resident_search_token as t
where
    t.kind = $kind
    and t.token >= $low
    and t.token < $high
    and ($name_part = '' or contains(t.name, $name_part))
    and starts_with(t.grid_code, $org_code)
    and ($status is null or t.status = $status)
