-- An earlier consolidation of exactly the same files.
-- params: $fingerprint varchar
select id, name, created_at
from form_pile
where fingerprint = $fingerprint
order by id
limit 1
