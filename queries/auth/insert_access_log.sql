-- Append one access event: logins, exports, reports, sensitive views.
-- params: $username varchar, $action varchar, $detail varchar
insert into access_log (username, action, detail)
values ($username, $action, $detail)
