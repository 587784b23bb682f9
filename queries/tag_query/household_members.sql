-- Active members per household, for some households.
-- params: $ids bigint[]
select
    household_id,
    count(*) as members
from resident
where
    household_id in (select unnest($ids::bigint[]))
    and status = 'active'
group by household_id
