-- Search tokens of residents: every two-character piece of a name, and the ID and phone numbers
-- reversed (so 后四位 / 后六位 / a whole number is a prefix). Rows lie sorted by (kind, token), so
-- DuckDB's zone maps read one or two row groups for a lookup instead of scanning 9 million names;
-- scope and status ride along so a page and its count need not touch the resident table; a name
-- piece of three or more characters is checked against the upper-cased name kept with it.
-- Built here for an existing database, one kind at a time (in kind order) so that each sort fits
-- in memory; ledger/fill_search_tokens.sql keeps them current. The integer tails of 0003 go.
create table resident_search_token (
    kind varchar not null,
    token varchar not null,
    resident_id bigint not null,
    name varchar,
    grid_code varchar not null,
    status varchar not null
);

insert into resident_search_token
select
    'id_number' as kind,
    reverse(upper(r.id_number)) as token,
    r.id as resident_id,
    null as name,
    r.grid_code,
    r.status
from resident as r
where r.id_number is not null
order by token, resident_id;

insert into resident_search_token
select
    'name' as kind,
    piece.token,
    r.id as resident_id,
    upper(r.name) as name,
    r.grid_code,
    r.status
from resident as r,
    unnest(
        list_distinct([substr(upper(r.name), i, 2) for i in range(1, length(r.name))])
    ) as piece (token)
order by piece.token, resident_id;

insert into resident_search_token
select
    'phone' as kind,
    reverse(r.phone) as token,
    r.id as resident_id,
    null as name,
    r.grid_code,
    r.status
from resident as r
where r.phone is not null
order by token, resident_id;

-- DuckDB alters no table that an index depends on: the name index is dropped and rebuilt around it.
drop index resident_name;

alter table resident drop column id_tail;

alter table resident drop column phone_tail;

create index resident_name on resident (name);
