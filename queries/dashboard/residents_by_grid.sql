-- Active residents per grid and residence type: key-field fill counts, recent updates, and the latest update (the grid's fingerprint for the ID checks).
-- params: $org_code varchar, $since timestamp
select
    grid_code,
    residence_type,
    count(*) as residents,
    count(id_number) as with_id_number,
    count(birth_date) as with_birth_date,
    count(phone) as with_phone,
    count(ethnicity) as with_ethnicity,
    count(education) as with_education,
    count(current_address) as with_current_address,
    count(*) filter (where updated_at >= $since) as updated_recently,
    max(updated_at) as last_update
from resident
where starts_with(grid_code, $org_code) and status = 'active'
group by grid_code, residence_type
