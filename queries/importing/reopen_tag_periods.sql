-- Reopen the periods an undone batch had closed.
-- params: $batch_id varchar
update tag_period
set
    end_batch = null,
    ended_on = null
where end_batch = $batch_id
