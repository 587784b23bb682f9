-- Progress of one campaign inside the caller's subtree, one row per unit whose code has the given
-- length (street 9, community 12, grid 15): tasks by outcome, time spent, values still missing
-- after visits, and fields confirmed / corrected / filled (a field visited twice counts once, by
-- its latest action).
-- params: $campaign_id varchar, $org_code varchar, $length integer
with
tasks as (
    select
        left(grid_code, $length) as unit,
        count(*) as tasks,
        count(*) filter (where outcome = 'visited') as visited,
        count(*) filter (where outcome = 'not_home') as not_home,
        count(*) filter (where outcome = 'refused') as refused,
        count(*) filter (where outcome = 'moved_away') as moved_away,
        count(*) filter (where outcome = 'pending') as pending,
        coalesce(sum(missing) filter (where outcome = 'visited'), 0) as missing,
        coalesce(sum(minutes), 0) as minutes
    from visit_task
    where campaign_id = $campaign_id and starts_with(grid_code, $org_code)
    group by unit
),

latest as (
    select
        left(grid_code, $length) as unit,
        arg_max(action, done_at) as action
    from visit_field
    where campaign_id = $campaign_id and starts_with(grid_code, $org_code)
    group by unit, entity, entity_id, field
),

fields as (
    select
        unit,
        count(*) filter (where action = 'confirmed') as confirmed,
        count(*) filter (where action = 'corrected') as corrected,
        count(*) filter (where action = 'filled') as filled
    from latest
    group by unit
)

select
    t.unit,
    coalesce(o.name, t.unit) as unit_name,
    t.tasks,
    t.visited,
    t.not_home,
    t.refused,
    t.moved_away,
    t.pending,
    t.missing,
    t.minutes,
    coalesce(f.confirmed, 0) as confirmed,
    coalesce(f.corrected, 0) as corrected,
    coalesce(f.filled, 0) as filled
from tasks as t
left join fields as f on t.unit = f.unit
left join org_unit as o on t.unit = o.code
order by t.unit
