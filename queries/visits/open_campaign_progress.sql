-- The dashboard's 走访 figure: households (houses, shops) visited of all tasks of the open
-- campaigns, per child unit of the viewed unit (code length $length).
-- params: $org_code varchar, $length integer
select
    left(t.grid_code, $length) as unit,
    coalesce(any_value(o.name), left(t.grid_code, $length)) as unit_name,
    count(*) as tasks,
    count(*) filter (where t.outcome <> 'pending') as done,
    count(*) filter (where t.outcome = 'visited') as visited
from visit_task as t
inner join campaign as c on t.campaign_id = c.id
left join org_unit as o on left(t.grid_code, $length) = o.code
where c.state = 'open' and starts_with(t.grid_code, $org_code)
group by left(t.grid_code, $length)
order by unit
