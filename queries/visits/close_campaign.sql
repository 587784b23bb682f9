-- Close an open campaign: its tasks are frozen from now on.
-- params: $id varchar, $username varchar
update campaign
set state = 'closed', closed_by = $username, closed_at = current_timestamp
where id = $id and state = 'open'
returning id
