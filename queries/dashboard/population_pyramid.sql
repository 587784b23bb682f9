-- Active residents by sex and 5-year age band at $as_of (band 18 is 90 and over), for the population pyramid.
-- params: $org_code varchar, $as_of date
with by_day as (
    -- Group by birth day first: ages are then computed for ~36k days, not millions of people.
    select
        sex,
        birth_date,
        count(*) as residents
    from resident
    where starts_with(grid_code, $org_code) and status = 'active' and birth_date is not null
    group by sex, birth_date
),

aged as (
    select
        sex,
        residents,
        year($as_of) - year(birth_date)
        - if(month(birth_date) * 100 + day(birth_date) > month($as_of) * 100 + day($as_of), 1, 0)
            as age
    from by_day
)

select
    sex,
    least(greatest(age, 0) // 5, 18) as band,
    sum(residents)::bigint as residents
from aged
group by sex, band
order by band, sex
