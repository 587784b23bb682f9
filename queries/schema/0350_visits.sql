-- 走访采集: campaigns of door-to-door verification, one task per household / house / shop in scope,
-- and what each visit did to each field (confirmed, corrected, filled) for progress figures.
-- No primary keys on tables updated in place (DuckDB checks unique indexes eagerly inside a
-- transaction); the domain keeps (campaign_id, entity_id) unique. Tasks are inserted grid by grid,
-- so zone maps find a grid's tasks without an index.

create table campaign (
    id varchar not null,
    name varchar not null,
    org_code varchar not null,
    entity varchar not null check (entity in ('household', 'house', 'shop')),
    verify_fields varchar[] not null,
    collect_fields varchar[] not null,
    starts_on date not null,
    due_on date not null,
    state varchar not null default 'open' check (state in ('open', 'closed')),
    task_count integer not null default 0,
    created_by varchar not null,
    created_at timestamp not null default current_timestamp,
    closed_by varchar,
    closed_at timestamp
);

create table visit_task (
    campaign_id varchar not null,
    entity_id bigint not null,
    grid_code varchar not null,
    assignee varchar,
    sort_key varchar,
    label varchar,
    outcome varchar not null default 'pending'
        check (outcome in ('pending', 'visited', 'not_home', 'refused', 'moved_away')),
    note varchar,
    version integer not null default 1,
    visited_at timestamp,
    visited_by varchar,
    minutes double,
    missing integer,
    batch_id varchar
);

-- One row per field a visit touched: action confirmed | corrected | filled.
create table visit_field (
    campaign_id varchar not null,
    task_entity_id bigint not null,
    grid_code varchar not null,
    entity varchar not null,
    entity_id bigint not null,
    field varchar not null,
    action varchar not null check (action in ('confirmed', 'corrected', 'filled')),
    old_value varchar,
    new_value varchar,
    batch_id varchar not null,
    done_by varchar not null,
    done_at timestamp not null default current_timestamp
);
