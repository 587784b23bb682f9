-- Log one generated report (id allocated under the write lock); returns the new id.
-- params: $username varchar, $template_code varchar, $template_version integer, $org_code varchar, $rows bigint, $seconds double, $file_hash varchar, $minutes_saved integer, $masked boolean, $batch_id varchar
insert into report_run (
    id,
    username,
    template_code,
    template_version,
    org_code,
    rows,
    seconds,
    file_hash,
    minutes_saved,
    masked,
    batch_id
)
select
    coalesce(max(id), 0) + 1,
    $username,
    $template_code,
    $template_version,
    $org_code,
    $rows,
    $seconds,
    $file_hash,
    $minutes_saved,
    $masked,
    $batch_id
from report_run
returning id
