-- Children (any status) born on or before a date: of a parent, or without one the head's 子/女.
-- params: $parent_id bigint, $household_id bigint, $birth_date date
select count(*)
from resident
where
    birth_date <= $birth_date
    and (
        mother_id = $parent_id
        or father_id = $parent_id
        or (
            $parent_id is null
            and household_id = $household_id
            and relation_to_head in ('20', '30')
        )
    )
