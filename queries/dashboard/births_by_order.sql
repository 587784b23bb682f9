-- Active residents born after $born_after (the last 12 months) by birth order (孩次), for the births figure.
-- params: $org_code varchar, $born_after date
select
    birth_order,
    count(*) as births
from resident
where
    starts_with(grid_code, $org_code)
    and status = 'active'
    and birth_date > $born_after
group by birth_order
order by birth_order nulls last
