-- All code lists with their standard, by code.
-- params: none
select
    code,
    name,
    standard
from code_list
order by code
