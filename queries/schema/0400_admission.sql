-- 报表准入与表单归并 (yibiaotong/admission/): report requests and every step of their review,
-- the synonyms admins added to the field standard (kept apart from data/catalog/fields.yaml so a
-- restart that reloads the catalogue re-applies them instead of losing them), and the piles of
-- department forms consolidated into one field list.

create table report_request (
    id bigint primary key,
    kind varchar not null check (kind in ('new', 'renewal')),
    department varchar not null,
    requested_by varchar not null,
    title varchar not null,
    purpose varchar not null,
    legal_basis varchar not null,
    frequency varchar not null,
    org_code varchar not null,
    period varchar not null,
    entity varchar not null check (entity in ('resident', 'household', 'house', 'shop')),
    filter json not null,
    expires_on date not null,
    -- [{header, field, relation, status, score}]: each requested field as decided by the requester
    fields json not null,
    -- the uploaded form's shape (file, title, header paths, footer …), null when fields were picked
    form json,
    -- coverage, overlap and burden as shown when the request was (re)submitted
    assessment json,
    -- renewal: the template to renew; approved: the template created, renewed or reused
    template_code varchar,
    template_version integer,
    -- approved as "use existing template": requested header → the template's column
    field_map json,
    state varchar not null check (
        state in (
            'submitted', 'returned', 'approved_new', 'approved_existing', 'renewed', 'rejected',
            'withdrawn'
        )
    ),
    note varchar,
    fingerprint varchar not null,
    version integer not null default 1,
    created_at timestamp not null default current_timestamp,
    updated_at timestamp not null default current_timestamp
);

create index report_request_department on report_request (department);

create table report_request_step (
    request_id bigint not null,
    step integer not null,
    acted_at timestamp not null default current_timestamp,
    username varchar not null,
    action varchar not null,
    from_state varchar,
    to_state varchar not null,
    note varchar,
    primary key (request_id, step)
);

create table field_synonym_added (
    field_code varchar not null,
    synonym varchar not null,
    pile_id bigint,
    added_by varchar not null,
    added_at timestamp not null default current_timestamp,
    primary key (field_code, synonym)
);

create table form_pile (
    id bigint primary key,
    name varchar not null,
    department varchar,
    fingerprint varchar not null,
    files integer not null,
    forms integer not null,
    skipped integer not null,
    -- the reduction when last computed: N headers in M forms → K distinct fields, J in the ledger
    headers integer not null default 0,
    distinct_fields integer not null default 0,
    held_fields integer not null default 0,
    created_by varchar not null,
    created_at timestamp not null default current_timestamp
);

create table form_pile_form (
    pile_id bigint not null,
    seq integer not null,
    file_name varchar not null,
    sheet varchar,
    sha256 varchar,
    status varchar not null check (status in ('ok', 'skipped')),
    reason varchar,
    title varchar,
    entity varchar,
    department varchar,
    -- header paths, 序号 column, footer labels, notes, signature (FormShape)
    shape json,
    template_code varchar,
    primary key (pile_id, seq)
);
