-- Count one failed login against the typed username (known or not) and the client address.
-- params: $username varchar, $address varchar
insert into login_failure (username, address)
values ($username, $address)
