-- Jobs: long work run by the console process (reports batches, tag refreshes, backups, imports),
-- with a state that outlives the page that started it, and one log line per step worth keeping.

create table job (
    id varchar primary key,
    kind varchar not null,
    title varchar not null,
    params json not null,
    writes boolean not null,
    state varchar not null
        check (state in ('queued', 'running', 'done', 'failed', 'cancelled', 'interrupted')),
    progress double not null default 0,
    step varchar not null default '',
    message varchar,
    result json,
    result_file varchar,
    owner varchar not null,
    org_code varchar not null,
    origin varchar not null default 'console',
    created_at timestamp not null default current_timestamp,
    started_at timestamp,
    finished_at timestamp
);

create table job_log (
    job_id varchar not null,
    logged_at timestamp not null default current_timestamp,
    line varchar not null
);
