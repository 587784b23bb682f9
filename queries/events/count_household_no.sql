-- Households already carrying a household number (numbers are unique).
-- params: $household_no varchar
select count(*)
from household
where household_no = $household_no
