-- Address search at index speed. Every distinct address of residents (现住址), households,
-- houses and shops gets an id in address order (address_book); every two-character piece of
-- it is a row of address_piece, sorted by piece, so DuckDB's zone maps read one or two row
-- groups for a piece instead of scanning 9 million addresses; address_link ties each record to
-- its address id with scope and status, sorted by (entity, address id), so the records of
-- neighbouring addresses lie together. A term is looked up through its rarest piece, checked
-- with contains() against the whole address, then mapped to records (ledger/find_by_address).
-- Built here for an existing database; ledger.refresh_address_search keeps it current.
create table address_book (
    id bigint not null,
    address varchar not null
);

create table address_piece (
    token varchar not null,
    address_id bigint not null
);

create table address_link (
    entity varchar not null,
    address_id bigint not null,
    record_id bigint not null,
    grid_code varchar not null,
    status varchar not null
);

insert into address_book
select
    row_number() over (order by every.address) as id,
    every.address
from (
    select current_address as address from resident where current_address is not null
    union
    select address from household where address is not null
    union
    select address from house where address is not null
    union
    select address from shop where address is not null
) as every;

insert into address_piece
select
    piece.token,
    b.id as address_id
from address_book as b,
    unnest(
        list_distinct([substr(b.address, i, 2) for i in range(1, length(b.address))])
    ) as piece (token)
order by piece.token, address_id;

insert into address_link
select
    'resident' as entity,
    b.id as address_id,
    r.id as record_id,
    r.grid_code,
    r.status
from resident as r
inner join address_book as b on r.current_address = b.address
union all
select
    'household' as entity,
    b.id as address_id,
    h.id as record_id,
    h.grid_code,
    h.status
from household as h
inner join address_book as b on h.address = b.address
union all
select
    'house' as entity,
    b.id as address_id,
    h.id as record_id,
    h.grid_code,
    h.status
from house as h
inner join address_book as b on h.address = b.address
union all
select
    'shop' as entity,
    b.id as address_id,
    s.id as record_id,
    s.grid_code,
    s.status
from shop as s
inner join address_book as b on s.address = b.address
order by entity, address_id, record_id;
