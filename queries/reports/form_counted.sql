-- Whether a template was already counted for an org unit in the current reporting period.
-- params: $template_code varchar, $org_code varchar, $frequency varchar
select count(*) > 0
from report_run
where
    template_code = $template_code
    and org_code = $org_code
    and counted
    and period = report_period($frequency, current_date)
