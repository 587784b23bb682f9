-- Saved tag queries: a named filter spec (JSON) a user can re-run, share with their unit, and
-- turn into a report template (as_report) that the report centre lists.
create table saved_query (
    id integer primary key,
    name varchar not null,
    owner varchar not null,
    org_code varchar not null,
    shared boolean not null default false,
    spec json not null,
    as_report boolean not null default false,
    created_at timestamp not null default current_timestamp,
    updated_at timestamp not null default current_timestamp
);
