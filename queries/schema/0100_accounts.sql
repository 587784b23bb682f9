-- Accounts for a real install: passwords set by an admin must be changed at first login, the
-- login throttle counts failures per client address and per account in a sliding window (instead
-- of a per-account counter anyone could use to lock the account), addresses a user logged in from
-- are remembered, and every access-log row can carry the client address.

alter table app_user add column must_change_password boolean not null default false;

alter table app_user drop column failed_logins;

alter table access_log add column client_address varchar;

-- Pruned to the throttle window on every insert, so it stays small even under attack.
create table login_failure (
    failed_at timestamp not null default current_timestamp,
    username varchar not null,
    address varchar not null
);

create table login_address (
    username varchar not null,
    address varchar not null,
    last_ok_at timestamp not null default current_timestamp,
    primary key (username, address)
);

-- Every database made before this migration got the five demo accounts with a published
-- password, so it is a demo install whatever data it holds.
insert into app_setting (key, value)
select
    'install_kind',
    'demo'
where exists (select 1 from app_user);
