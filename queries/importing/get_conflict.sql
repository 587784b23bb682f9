-- One value conflict inside the caller's subtree (for a given owner, of a batch they loaded).
-- params: $id varchar, $org_code varchar, $owner varchar
select c.*
from value_conflict as c
left join import_batch as b on c.batch_id = b.id
where
    c.id = $id
    and starts_with(c.grid_code, $org_code)
    and ($owner is null or b.created_by = $owner)
