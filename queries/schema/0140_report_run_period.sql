-- Hours saved count a form once: a run books its template's manual minutes only when no earlier
-- run of the same template for the same org unit and reporting period did. report_period() is
-- the one definition of a period key (daily: the day, weekly: ISO week, monthly, quarterly,
-- half-yearly, yearly; on-demand reports: the day). Runs logged before this migration are
-- re-counted the same way.

create or replace macro report_period(frequency, day) as
    case frequency
        when 'weekly' then isoyear(day)::varchar || '-W' || lpad(week(day)::varchar, 2, '0')
        when 'monthly' then strftime(day, '%Y-%m')
        when 'quarterly' then year(day)::varchar || '-Q' || quarter(day)::varchar
        when 'half_yearly' then year(day)::varchar || '-H' || if(month(day) <= 6, '1', '2')
        when 'yearly' then year(day)::varchar
        else strftime(day, '%Y-%m-%d')
    end;

-- DuckDB refuses to alter a table that has an index: set the index aside meanwhile.
drop index report_run_created;

alter table report_run add column period varchar;

alter table report_run add column counted boolean not null default true;

create index report_run_created on report_run (created_at);

create index report_run_period on report_run (template_code, org_code, period);

update report_run as r
set period = report_period(t.frequency, r.created_at::date)
from report_template as t
where t.code = r.template_code and t.version = r.template_version;

update report_run
set
    counted = false,
    minutes_saved = 0
where id not in (
    select min(id)
    from report_run
    group by template_code, org_code, period
);
