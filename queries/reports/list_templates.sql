-- The version in use of every template (the highest not waiting as a catalogue offer), with its
-- department's name and run count.
-- params: none
with latest as (
    select *
    from report_template
    where offer is null
    qualify row_number() over (partition by code order by version desc) = 1
),

runs as (
    select
        template_code,
        count(*) as runs
    from report_run
    group by template_code
)

select
    latest.code,
    latest.version,
    latest.name,
    latest.department,
    coalesce(department.name, latest.department) as department_name,
    latest.frequency,
    latest.entity,
    latest.kind,
    latest.status,
    latest.valid_from,
    latest.valid_to,
    latest.manual_minutes,
    latest.definition,
    latest.source,
    latest.created_by,
    latest.created_at,
    coalesce(runs.runs, 0) as runs
from latest
left join department on department.code = latest.department
left join runs on runs.template_code = latest.code
order by department.sort_order nulls last, latest.department, latest.code
