-- Every logged step of one request, in order, with the actor's name.
-- params: $request_id bigint
select
    s.step,
    s.acted_at,
    s.username,
    coalesce(u.name, s.username) as actor,
    s.action,
    s.from_state,
    s.to_state,
    s.note
from report_request_step as s
left join app_user as u on u.username = s.username
where s.request_id = $request_id
order by s.step
