-- Position of each resident among those of the same id-number region, birth date and sex:
-- the 3-digit sequence of the id number, after the sequences already in the ledger, so that
-- no two residents share one.
-- params: $seed integer
create or replace temp table demo_seq as
with
taken as (
    select
        left(id_number, 6) as region,
        try_strptime(substr(id_number, 7, 8), '%Y%m%d')::date as birth_date,
        if(substr(id_number, 17, 1)::integer % 2 = 1, '1', '2') as sex,
        max(substr(id_number, 15, 3)::integer) // 2 + 1 as first_free
    from resident
    where id_type = '01' and regexp_full_match(id_number, '[0-9]{17}[0-9X]')
    group by all
)

select
    m.id,
    (
        row_number() over (partition by m.region, m.birth_date, m.sex order by m.id) - 1
        + coalesce(t.first_free, 0)
    )::integer as r
from demo_members($seed) as m
left join taken as t
    on m.region = t.region and m.birth_date = t.birth_date and m.sex = t.sex
where m.region is not null
