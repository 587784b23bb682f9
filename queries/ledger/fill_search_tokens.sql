-- Search tokens (see schema 0160) of one $kind for the residents a write batch touched, or for
-- all when $ids is null, in token order. The caller deletes their old tokens first
-- (delete_search_tokens) and fills the kinds in the order id_number, name, phone, so a full
-- build lies sorted by (kind, token); one kind at a time keeps the sort within memory.
-- params: $kind varchar, $ids bigint[]
insert into resident_search_token
with touched as (
    select
        r.id,
        r.name,
        r.id_number,
        r.phone,
        r.grid_code,
        r.status
    from resident as r
    where $ids is null or r.id in (select unnest($ids))
),

tokens as (
    select
        'name' as kind,
        piece.token,
        r.id as resident_id,
        upper(r.name) as name,
        r.grid_code,
        r.status
    from touched as r,
        unnest(
            list_distinct([substr(upper(r.name), i, 2) for i in range(1, length(r.name))])
        ) as piece (token)
    where $kind = 'name'

    union all

    select
        'phone' as kind,
        reverse(r.phone) as token,
        r.id as resident_id,
        null as name,
        r.grid_code,
        r.status
    from touched as r
    where $kind = 'phone' and r.phone is not null

    union all

    select
        'id_number' as kind,
        reverse(upper(r.id_number)) as token,
        r.id as resident_id,
        null as name,
        r.grid_code,
        r.status
    from touched as r
    where $kind = 'id_number' and r.id_number is not null
)

select *
from tokens
order by token, resident_id
