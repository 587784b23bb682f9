-- Forget failed logins of an account, from one address or (null) from all of them.
-- params: $username varchar, $address varchar
delete from login_failure
where username = $username and ($address::varchar is null or address = $address)
