-- Active residents of the given grids whose ID number disagrees with their birth date or sex (数据质量 校验).
-- params: $org_code varchar, $grids varchar[]
select
    grid_code,
    -- GB 11643: characters 7-14 are the birth date, the 17th is odd for men and even for women.
    count(*) filter (
        where id_type = '01' and substr(id_number, 7, 8) <> strftime(birth_date, '%Y%m%d')
    ) as id_birth_mismatch,
    count(*) filter (
        where id_type = '01' and ord(id_number[17]) % 2 <> (sex = '1')::integer
    ) as id_sex_mismatch
from resident
where
    starts_with(grid_code, $org_code)
    and status = 'active'
    and grid_code in (select unnest($grids))
group by grid_code
