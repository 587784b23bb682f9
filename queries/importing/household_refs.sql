-- How each new resident joins a household: an existing household by its 户号 or by its 户主's ID
-- number (hh:id); a new household by a 户号 (no:…) or a 户主 ID number (head:…) the file
-- names; else a proposal from a shared address with exactly one 户主 row (addr:…), which the
-- user confirms in the preview — never formed silently.
-- params: $batch_id varchar, $org_code varchar
update import_row as r
set household_ref = h.ref
from (
    with
    vals as (
        select
            v.row_no,
            max(v.value) filter (where v.field = 'household_no') as household_no,
            max(v.value) filter (where v.field = 'head:resident_id_number') as head_id_number,
            max(v.value) filter (where v.field = 'resident_relation_to_head') as relation,
            max(v.value) filter (where v.field = 'resident_current_address') as address
        from import_value as v
        inner join import_row as n on v.batch_id = n.batch_id and v.row_no = n.row_no
        where v.batch_id = $batch_id and n.action in ('insert', 'unplaced')
        group by v.row_no
    ),

    by_number as (
        select
            v.row_no,
            min(h.id) as household_id
        from vals as v
        inner join household as h
            on
                v.household_no = h.household_no
                and h.status = 'active'
                and starts_with(h.grid_code, $org_code)
        group by v.row_no
    ),

    by_head as (
        select
            v.row_no,
            min(p.household_id) as household_id
        from vals as v
        inner join resident as p
            on
                v.head_id_number = p.id_number
                and p.status = 'active'
                and p.household_id is not null
                and starts_with(p.grid_code, $org_code)
        group by v.row_no
    ),

    address_groups as (
        select
            yb_address_key(address) as address_key,
            count(*) filter (where relation = '02') as heads,
            count(*) as members
        from vals
        where household_no is null and head_id_number is null and address is not null
        group by address_key
    )

    select
        v.row_no,
        case
            when n.household_id is not null then 'hh:' || n.household_id
            when v.household_no is not null then 'no:' || v.household_no
            when b.household_id is not null then 'hh:' || b.household_id
            when v.head_id_number is not null then 'head:' || v.head_id_number
            when g.heads = 1 then 'addr:' || g.address_key
        end as ref
    from vals as v
    left join by_number as n on v.row_no = n.row_no
    left join by_head as b on v.row_no = b.row_no
    left join address_groups as g
        on
            v.household_no is null
            and v.head_id_number is null
            and yb_address_key(v.address) = g.address_key
) as h
where r.batch_id = $batch_id and r.row_no = h.row_no
