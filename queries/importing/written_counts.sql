-- What a commit wrote: inserted records, changed fields, conflicts for review, tags set and ended.
-- params: $batch_id varchar
select
    'inserted' as name,
    count(*) as n
from import_row
where batch_id = $batch_id and action = 'insert'
union all
select
    'fields_changed',
    count(*)
from import_change
where batch_id = $batch_id and kind = 'apply'
union all
select
    'records_changed',
    count(distinct entity_id)
from import_change
where batch_id = $batch_id and kind = 'apply'
union all
select
    'stale',
    count(*)
from import_change
where batch_id = $batch_id and kind = 'stale'
union all
select
    'review',
    count(*)
from value_conflict
where batch_id = $batch_id
union all
select
    'tags_' || action,
    count(*)
from import_tag
where batch_id = $batch_id
group by action
union all
select
    'households_created',
    count(distinct household_id)
from import_row
where batch_id = $batch_id and action = 'insert' and household_id is not null and not starts_with(household_ref, 'hh:')
