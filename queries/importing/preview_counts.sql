-- The counts a preview shows: rows by action, field changes by kind, households, placement,
-- import tags and refused rows, as (group, name, count).
-- params: $batch_id varchar
select
    'action' as grp,
    action as name,
    count(*) as n
from import_row
where batch_id = $batch_id
group by action
union all
select
    'change',
    kind,
    count(*)
from import_change
where batch_id = $batch_id
group by kind
union all
select
    'household',
    split_part(household_ref, ':', 1) || '_rows',
    count(*)
from import_row
where batch_id = $batch_id and household_ref is not null
group by split_part(household_ref, ':', 1)
union all
select
    'household',
    split_part(household_ref, ':', 1),
    count(distinct household_ref)
from import_row
where batch_id = $batch_id and household_ref is not null
group by split_part(household_ref, ':', 1)
union all
select
    'placement',
    coalesce(place_method, 'none'),
    count(*)
from import_row
where batch_id = $batch_id and action in ('insert', 'unplaced')
group by place_method
union all
select
    'tag',
    action,
    count(*)
from import_tag
where batch_id = $batch_id
group by action
union all
select
    'rejects',
    'rows',
    count(distinct row_no)
from import_reject
where batch_id = $batch_id
