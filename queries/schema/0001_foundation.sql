-- Foundation schema: org units, reference catalogue, ledger, tags, users and logs.
-- Ledger ids are allocated by the application under the write lock (max + 1), so bulk
-- generation can use set-based ids without a sequence to re-seed afterwards.

create table org_unit (
    code varchar primary key,
    name varchar not null,
    level varchar not null check (level in ('district', 'street', 'community', 'grid')),
    parent_code varchar,
    full_name varchar not null,
    sort_order integer not null default 0
);

create table department (
    code varchar primary key,
    name varchar not null,
    sort_order integer not null default 0
);

create table code_list (
    code varchar primary key,
    name varchar not null,
    standard varchar
);

create table code_item (
    list_code varchar not null,
    code varchar not null,
    name varchar not null,
    sort_order integer not null default 0,
    primary key (list_code, code)
);

create table field_def (
    code varchar primary key,
    entity varchar not null check (entity in ('resident', 'household', 'house', 'shop')),
    name varchar not null,
    data_type varchar not null,
    column_name varchar,
    code_list varchar,
    required boolean not null default false,
    validator varchar,
    max_length integer,
    sensitivity varchar not null default 'internal'
        check (sensitivity in ('public', 'internal', 'sensitive')),
    synonyms varchar[] not null default [],
    description varchar,
    sort_order integer not null default 0,
    status varchar not null default 'active' check (status in ('active', 'retired'))
);

create table tag_category (
    code varchar primary key,
    name varchar not null,
    sort_order integer not null default 0
);

create table tag (
    id integer primary key,
    code varchar not null unique,
    name varchar not null,
    category varchar not null,
    parent_id integer,
    entity varchar not null check (entity in ('resident', 'household', 'house', 'shop')),
    kind varchar not null check (kind in ('manual', 'rule', 'import')),
    rule json,
    sensitivity varchar not null default 'internal'
        check (sensitivity in ('public', 'internal', 'sensitive')),
    description varchar,
    sort_order integer not null default 0,
    status varchar not null default 'active' check (status in ('active', 'retired'))
);

create table household (
    id bigint primary key,
    household_no varchar not null,
    head_id bigint,
    household_type varchar,
    address varchar,
    house_id bigint,
    phone varchar,
    grid_code varchar not null,
    status varchar not null default 'active',
    version integer not null default 1,
    created_at timestamp not null default current_timestamp,
    updated_at timestamp not null default current_timestamp,
    updated_by varchar not null default 'system',
    attrs json
);

create table resident (
    id bigint primary key,
    id_type varchar not null default '01',
    id_number varchar,
    name varchar not null,
    name_initials varchar,
    sex varchar,
    birth_date date,
    ethnicity varchar,
    political_status varchar,
    education varchar,
    marital_status varchar,
    religion varchar,
    phone varchar,
    household_id bigint,
    relation_to_head varchar,
    house_id bigint,
    residence_type varchar,
    hukou_address varchar,
    current_address varchar,
    native_place varchar,
    employment_status varchar,
    employer varchar,
    occupation varchar,
    health_status varchar,
    birth_order smallint,
    mother_id bigint,
    father_id bigint,
    arrival_date date,
    residence_permit_no varchar,
    move_in_date date,
    move_out_date date,
    death_date date,
    grid_code varchar not null,
    status varchar not null default 'active',
    version integer not null default 1,
    created_at timestamp not null default current_timestamp,
    updated_at timestamp not null default current_timestamp,
    updated_by varchar not null default 'system',
    attrs json
);

create table house (
    id bigint primary key,
    house_no varchar not null,
    address varchar not null,
    building varchar,
    unit_no varchar,
    room_no varchar,
    area_sqm decimal(8, 2),
    use_type varchar,
    structure varchar,
    build_year integer,
    property_type varchar,
    owner_name varchar,
    owner_id_number varchar,
    owner_phone varchar,
    occupancy varchar,
    tenant_count integer,
    rental_registered_at date,
    fire_check_date date,
    safety_level varchar,
    grid_code varchar not null,
    status varchar not null default 'active',
    version integer not null default 1,
    created_at timestamp not null default current_timestamp,
    updated_at timestamp not null default current_timestamp,
    updated_by varchar not null default 'system',
    attrs json
);

create table shop (
    id bigint primary key,
    name varchar not null,
    uscc varchar,
    category varchar,
    legal_person varchar,
    legal_person_id_number varchar,
    phone varchar,
    address varchar,
    area_sqm decimal(8, 2),
    employees integer,
    opened_on date,
    closed_on date,
    inspection_status varchar,
    fire_check_date date,
    three_guarantees boolean,
    house_id bigint,
    grid_code varchar not null,
    status varchar not null default 'active',
    version integer not null default 1,
    created_at timestamp not null default current_timestamp,
    updated_at timestamp not null default current_timestamp,
    updated_by varchar not null default 'system',
    attrs json
);

-- No primary key: rule refreshes rewrite millions of rows, and an ART index over
-- (entity, entity_id, tag_id) would double the memory of the table; the domain keeps it unique.
create table entity_tag (
    entity varchar not null,
    entity_id bigint not null,
    tag_id integer not null,
    source varchar not null check (source in ('manual', 'rule', 'import')),
    assigned_by varchar not null,
    assigned_at timestamp not null default current_timestamp
);

create table change_log (
    changed_at timestamp not null default current_timestamp,
    username varchar not null,
    entity varchar not null,
    entity_id bigint not null,
    field varchar not null,
    old_value varchar,
    new_value varchar,
    source varchar not null,
    batch_id varchar
);

create table access_log (
    logged_at timestamp not null default current_timestamp,
    username varchar,
    action varchar not null,
    detail varchar
);

create table app_user (
    username varchar primary key,
    name varchar not null,
    password_hash varchar not null,
    role varchar not null
        check (role in ('district_admin', 'street_leader', 'dept_staff', 'social_worker')),
    org_code varchar not null,
    department varchar,
    clearance boolean not null default false,
    active boolean not null default true,
    failed_logins integer not null default 0,
    locked_until timestamp,
    sessions_valid_after double not null default 0,
    created_at timestamp not null default current_timestamp,
    updated_at timestamp not null default current_timestamp
);

create table app_setting (
    key varchar primary key,
    value varchar not null
);
