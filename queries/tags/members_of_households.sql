-- Residents of the given households, whatever their status ($lo/$hi bound the household ids).
-- params: $ids bigint[], $lo bigint, $hi bigint
select id
from resident
where
    household_id between $lo and $hi
    and household_id in (select unnest($ids::bigint[]))
