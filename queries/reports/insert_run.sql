-- Log one generated report (id allocated under the write lock). It books the template's manual
-- minutes only when no earlier run of the template for the org unit and period did.
-- params: $username varchar, $template_code varchar, $template_version integer, $org_code varchar, $rows bigint, $seconds double, $file_hash varchar, $minutes_saved integer, $masked boolean, $batch_id varchar, $frequency varchar
with
    this as (
        select report_period($frequency, current_date) as period
    ),

    seen as (
        select count(*) > 0 as done
        from report_run as r
        where
            r.template_code = $template_code
            and r.org_code = $org_code
            and r.counted
            and r.period = (select this.period from this)
    )

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
    batch_id,
    period,
    counted
)
select
    coalesce(max(report_run.id), 0) + 1,
    $username,
    $template_code,
    $template_version,
    $org_code,
    $rows,
    $seconds,
    $file_hash,
    if((select seen.done from seen), 0, $minutes_saved),
    $masked,
    $batch_id,
    (select this.period from this),
    not (select seen.done from seen)
from report_run
returning id, minutes_saved
