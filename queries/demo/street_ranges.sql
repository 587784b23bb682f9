-- Id ranges of each street's generated households and residents, in street order.
-- params: none
select
    street_code,
    min(hh_lo) as hh_lo,
    max(hh_hi) as hh_hi,
    min(res_lo) as res_lo,
    max(res_hi) as res_hi
from demo_grid_stat
group by street_code
order by street_code
