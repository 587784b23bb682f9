-- How many value conflicts of a state wait inside the caller's subtree (for a given owner, of the
-- batches they loaded).
-- params: $org_code varchar, $owner varchar, $state varchar
select count(*)
from value_conflict as c
left join import_batch as b on c.batch_id = b.id
where
    starts_with(c.grid_code, $org_code)
    and c.state = $state
    and ($owner is null or b.created_by = $owner)
