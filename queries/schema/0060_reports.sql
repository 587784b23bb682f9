-- Report centre: versioned templates (from data/catalog/reports/ or the template editor), the
-- run log that counts hours saved, and header mappings remembered per uploaded department form.
-- A template version is never changed once written: runs point at the version they used.

create table report_template (
    code varchar not null,
    version integer not null,
    name varchar not null,
    department varchar not null,
    frequency varchar not null,
    entity varchar not null check (entity in ('resident', 'household', 'house', 'shop')),
    kind varchar not null default 'list' check (kind in ('list', 'summary')),
    status varchar not null default 'active' check (status in ('active', 'retired')),
    valid_from date,
    valid_to date,
    manual_minutes integer not null check (manual_minutes >= 0),
    definition json not null,
    source varchar not null default 'catalog' check (source in ('catalog', 'editor')),
    created_by varchar not null default 'system',
    created_at timestamp not null default current_timestamp,
    primary key (code, version)
);

create table report_run (
    id bigint primary key,
    username varchar not null,
    template_code varchar not null,
    template_version integer not null,
    org_code varchar not null,
    rows bigint not null,
    seconds double not null,
    file_hash varchar not null,
    minutes_saved integer not null,
    masked boolean not null default true,
    batch_id varchar,
    created_at timestamp not null default current_timestamp
);

create index report_run_created on report_run (created_at);

create table report_form_mapping (
    signature varchar primary key,
    form_name varchar not null,
    entity varchar not null,
    mapping json not null,
    updated_by varchar not null,
    updated_at timestamp not null default current_timestamp
);
