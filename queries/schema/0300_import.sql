-- 数据回流 (import): backflow sources with per-field priorities, import batches and their staged
-- rows, rejects, value conflicts, and the provenance of every field value.
-- Tables that the engine updates in place carry no primary key: DuckDB checks unique indexes
-- eagerly inside a transaction, and the domain keeps ids unique (uuid hex).

create table import_source (
    code varchar primary key,
    name varchar not null,
    department varchar,
    entity varchar not null check (entity in ('resident', 'household', 'house', 'shop')),
    importable boolean not null default true,
    description varchar,
    sort_order integer not null default 0
);

-- The fields a source may set and its priority for each: a higher number wins.
create table import_source_field (
    source varchar not null,
    field varchar not null,
    priority integer not null,
    primary key (source, field)
);

-- Import tags a source owns: only it sets and ends them.
create table import_source_tag (
    source varchar not null,
    tag_code varchar not null,
    primary key (source, tag_code)
);

-- Values of code lists as files write them (男 / M / 1 → "1"), besides each code and its name.
create table code_synonym (
    list_code varchar not null,
    synonym varchar not null,
    code varchar not null,
    primary key (list_code, synonym)
);

create table import_batch (
    id varchar not null,
    source varchar not null,
    entity varchar not null,
    file_name varchar not null,
    sha256 varchar not null,
    size_bytes bigint not null,
    org_code varchar not null,
    default_org varchar,
    settings json,
    mapping json,
    options json,
    counts json,
    state varchar not null default 'landed',
    message varchar,
    created_by varchar not null,
    created_at timestamp not null default current_timestamp,
    previewed_at timestamp,
    committed_by varchar,
    committed_at timestamp,
    undone_by varchar,
    undone_at timestamp
);

-- One row of a file as the preview classified it. row_no is the row a spreadsheet shows.
create table import_row (
    batch_id varchar not null,
    row_no integer not null,
    key varchar,
    entity_id bigint,
    action varchar not null,
    grid_code varchar,
    house_id bigint,
    place_method varchar,
    candidates varchar[],
    household_ref varchar,
    household_id bigint,
    reason varchar
);

-- Every non-empty cell of a batch cleaned, in long form (one row per row and field): its value,
-- or the problem that refuses it (with the text the file had, for the reject report).
create table import_value (
    batch_id varchar not null,
    row_no integer not null,
    field varchar not null,
    value varchar,
    problem varchar,
    raw varchar
);

create table import_reject (
    batch_id varchar not null,
    row_no integer not null,
    column_name varchar,
    value varchar,
    reason varchar not null
);

-- Field-level difference of a matched record: kind apply | conflict | lower.
create table import_change (
    batch_id varchar not null,
    row_no integer not null,
    entity_id bigint not null,
    field varchar not null,
    old_value varchar,
    new_value varchar,
    old_source varchar,
    kind varchar not null
);

create table value_conflict (
    id varchar not null,
    batch_id varchar not null,
    entity varchar not null,
    entity_id bigint not null,
    grid_code varchar not null,
    field varchar not null,
    row_no integer,
    current_value varchar,
    current_source varchar,
    incoming_value varchar,
    incoming_source varchar not null,
    kind varchar not null,
    state varchar not null default 'open',
    decided_by varchar,
    decided_at timestamp,
    created_at timestamp not null default current_timestamp
);

-- Who set each field value: the source, batch and time; 走访采集 adds who verified it and when.
create table field_provenance (
    entity varchar not null,
    entity_id bigint not null,
    field varchar not null,
    source varchar not null,
    batch_id varchar,
    set_at timestamp not null default current_timestamp,
    set_by varchar not null,
    verified_by varchar,
    verified_at timestamp
);

-- What a batch replaced, so that undo can put it back: provenance rows and record versions.
create table provenance_before (
    batch_id varchar not null,
    entity varchar not null,
    entity_id bigint not null,
    field varchar not null,
    source varchar,
    prior_batch varchar,
    set_at timestamp,
    set_by varchar,
    verified_by varchar,
    verified_at timestamp
);

create table record_before (
    batch_id varchar not null,
    entity varchar not null,
    entity_id bigint not null,
    version integer not null,
    updated_at timestamp not null,
    updated_by varchar not null,
    attrs json,
    new_version integer not null
);

-- Import tags over time: set by a batch, ended (with a date) by a later batch of the same source.
create table tag_period (
    entity varchar not null,
    entity_id bigint not null,
    tag_id integer not null,
    source varchar not null,
    set_batch varchar not null,
    set_at timestamp not null,
    set_by varchar not null,
    end_batch varchar,
    ended_on date
);

-- Working tables of a preview: the file's rows as text cells, the confirmed column mapping and
-- every distinct value of each mapped column cleaned once (with how often it occurs). A preview
-- empties them for its batch when it is done.
create table import_raw (
    batch_id varchar not null,
    row_no integer not null,
    cells varchar[] not null
);

create table import_map (
    batch_id varchar not null,
    col integer not null,
    header varchar not null,
    target varchar not null,
    kind varchar not null,
    code_list varchar,
    max_length integer
);

create table import_clean (
    batch_id varchar not null,
    col integer not null,
    raw varchar,
    n integer not null,
    value varchar,
    problem varchar,
    rules varchar[]
);

-- Current ledger values of the records a batch matched, in the long form of import_value.
create table import_current (
    batch_id varchar not null,
    entity_id bigint not null,
    field varchar not null,
    value varchar
);

-- Import tags a batch sets (on matched or new rows) and ends (a roster no longer naming someone).
create table import_tag (
    batch_id varchar not null,
    row_no integer,
    entity_id bigint,
    tag_id integer not null,
    action varchar not null
);

-- Search initials of Chinese characters (pypinyin, filled as imports meet new characters), so that
-- a million imported names get their 拼音首字母 in SQL.
create table pinyin_initial (
    ch varchar primary key,
    initial varchar not null
);
