-- Append one access event: logins, exports, reports, sensitive views, with the client address.
-- params: $username varchar, $action varchar, $detail varchar, $address varchar
insert into access_log (username, action, detail, client_address)
values ($username, $action, $detail, $address)
