-- Ledger edits since $since by social workers of the scope: records touched, edits, workers.
-- params: $org_code varchar, $since timestamp
select
    count(distinct (c.entity, c.entity_id)) as records,
    count(distinct c.batch_id) as saves,
    count(distinct c.username) as workers
from change_log as c
inner join app_user as u on u.username = c.username
where
    u.role = 'social_worker'
    and starts_with(u.org_code, $org_code)
    and c.changed_at >= $since
