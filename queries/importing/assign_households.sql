-- Household ids of new residents: an existing household (hh:id), or a new one per 户号 (no:…),
-- per 户主 ID number the file contains (head:…) and, when the user confirmed them, per address
-- proposal (addr:…). New households are numbered after the ledger's largest id.
-- params: $batch_id varchar, $with_addresses boolean
update import_row as r
set household_id = g.household_id
from (
    with
    refs as (
        select
            household_ref,
            min(row_no) as first_row
        from import_row as x
        where
            batch_id = $batch_id
            and action = 'insert'
            and (
                starts_with(household_ref, 'no:')
                or (starts_with(household_ref, 'addr:') and $with_addresses)
                or (
                    starts_with(household_ref, 'head:')
                    and exists (
                        select 1
                        from import_row as h
                        where
                            h.batch_id = x.batch_id
                            and h.action = 'insert'
                            and h.key = substr(x.household_ref, 6)
                    )
                )
            )
        group by household_ref
    )

    select
        household_ref,
        (select coalesce(max(id), 0) from household) + row_number() over (order by first_row)
            as household_id
    from refs
    union all
    select distinct
        household_ref,
        cast(substr(household_ref, 4) as bigint)
    from import_row
    where batch_id = $batch_id and action = 'insert' and starts_with(household_ref, 'hh:')
) as g
where r.batch_id = $batch_id and r.action = 'insert' and r.household_ref = g.household_ref
