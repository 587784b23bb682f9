-- How often each cleaning rule changed a value in a batch (shown in the preview).
-- params: $batch_id varchar
select
    rule,
    count(*) as n
from (
    select unnest(rules) as rule
    from import_cell
    where batch_id = $batch_id and problem is null
)
group by rule
order by rule
