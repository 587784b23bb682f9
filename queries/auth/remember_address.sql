-- Remember that a user logged in from this address (it stays open to them under attack).
-- params: $username varchar, $address varchar, $at timestamp
insert into login_address (username, address, last_ok_at)
values ($username, $address, $at)
on conflict (username, address) do update set last_ok_at = excluded.last_ok_at
