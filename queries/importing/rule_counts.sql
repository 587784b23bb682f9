-- How often each cleaning rule changed a value in a batch (shown in the preview): the rules of
-- each distinct value, times how often it occurs.
-- params: $batch_id varchar
select
    rule,
    sum(n) as n
from (
    select
        unnest(rules) as rule,
        n
    from import_clean
    where batch_id = $batch_id and problem is null
)
group by rule
order by rule
