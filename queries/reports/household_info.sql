-- Number, head's name and active member count of some households (ids within [$lo, $hi]).
-- params: $ids bigint[], $lo bigint, $hi bigint
with members as (
    select
        household_id,
        count(*) as members
    from resident
    where
        household_id between $lo and $hi
        and household_id in (select unnest($ids::bigint[]))
        and status = 'active'
    group by household_id
)

select
    h.id,
    h.household_no,
    head.name as head_name,
    coalesce(members.members, 0) as members
from household as h
left join resident as head on head.id = h.head_id
left join members on members.household_id = h.id
where
    h.id between $lo and $hi
    and h.id in (select unnest($ids::bigint[]))
