-- Backups and their checks: every attempt (scheduled, from the admin page, from the CLI) with
-- what the copy holds per table, so the health page shows the last good one and growth.

create table backup (
    id varchar primary key,
    path varchar not null,
    kind varchar not null check (kind in ('scheduled', 'manual', 'cli')),
    username varchar not null,
    started_at timestamp not null,
    finished_at timestamp not null default current_timestamp,
    ok boolean not null,
    message varchar not null,
    source_bytes bigint,
    backup_bytes bigint,
    tables integer,
    total_rows bigint,
    manifest json
);
