-- Count one failed login against the typed username (known or not) and the client address.
-- params: $username varchar, $address varchar, $failed_at timestamp
insert into login_failure (failed_at, username, address)
values ($failed_at, $username, $address)
