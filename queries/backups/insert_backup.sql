-- Record one backup attempt with its check (a failed one too, with the reason).
-- params: $id varchar, $path varchar, $kind varchar, $username varchar, $started_at timestamp, $ok boolean, $message varchar, $source_bytes bigint, $backup_bytes bigint, $tables integer, $total_rows bigint, $manifest json
insert into backup (
    id,
    path,
    kind,
    username,
    started_at,
    ok,
    message,
    source_bytes,
    backup_bytes,
    tables,
    total_rows,
    manifest
)
values (
    $id,
    $path,
    $kind,
    $username,
    $started_at,
    $ok,
    $message,
    $source_bytes,
    $backup_bytes,
    $tables,
    $total_rows,
    $manifest
)
