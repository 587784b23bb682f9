-- Active residents living in some houses (ids within [$lo, $hi]).
-- params: $ids bigint[], $lo bigint, $hi bigint
select
    house_id,
    count(*) as occupants
from resident
where
    house_id between $lo and $hi
    and house_id in (select unnest($ids::bigint[]))
    and status = 'active'
group by house_id
