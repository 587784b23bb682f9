-- Residents by id inside an org unit (people related to a report's rows; anyone outside the
-- caller's unit is left out).
-- params: $ids bigint[], $org_code varchar
select *
from resident
where id in (select unnest($ids::bigint[])) and starts_with(grid_code, $org_code)
