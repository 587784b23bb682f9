-- Report templates in force on $as_of (current version active and within its dates), per department.
-- params: $as_of date
with latest as (
    select *
    from report_template
    qualify row_number() over (partition by code order by version desc) = 1
)

select
    coalesce(d.name, latest.department) as department,
    count(*) as templates
from latest
left join department as d on d.code = latest.department
where
    latest.status = 'active'
    and (latest.valid_from is null or latest.valid_from <= $as_of)
    and (latest.valid_to is null or $as_of <= latest.valid_to)
group by all
order by templates desc, department
