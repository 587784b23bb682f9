-- Record a reviewer's decision on a value conflict (applied: the incoming value; kept: the ledger's).
-- params: $id varchar, $state varchar, $username varchar
update value_conflict
set
    state = $state,
    decided_by = $username,
    decided_at = current_timestamp
where id = $id and state = 'open'
