-- Failed logins since $since that bear on one attempt: from this address (any account), for this
-- account from this address, for this account from anywhere; the last failure from this address;
-- and whether the account logged in from this address before (within $known_since).
-- params: $username varchar, $address varchar, $since timestamp, $known_since timestamp
select
    count(*) filter (where address = $address) as address_failures,
    count(*) filter (where address = $address and username = $username) as pair_failures,
    count(*) filter (where username = $username) as account_failures,
    max(failed_at) filter (where address = $address) as last_address_failure,
    min(failed_at) filter (where address = $address) as first_address_failure,
    min(failed_at) filter (where address = $address and username = $username) as first_pair_failure,
    min(failed_at) filter (where username = $username) as first_account_failure,
    exists (
        select 1
        from login_address as a
        where a.username = $username and a.address = $address and a.last_ok_at > $known_since
    ) as known_address
from login_failure
where failed_at > $since
