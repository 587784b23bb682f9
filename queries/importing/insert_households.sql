-- The new households of a batch: numbered by the file's 户号, else like the console does
-- (grid-id); headed by the row that is 户主 (relation 02, or the named 户主's own row).
-- params: $batch_id varchar, $username varchar
insert into household (
    id, household_no, head_id, household_type, address, house_id, grid_code, status, version,
    updated_by
)
with
members as (
    select
        r.row_no,
        r.entity_id,
        r.key,
        r.household_id,
        r.household_ref,
        r.grid_code,
        r.house_id,
        (
            select v.value
            from import_value as v
            where v.batch_id = r.batch_id and v.row_no = r.row_no and v.field = 'resident_relation_to_head'
        ) as relation,
        (
            select v.value
            from import_value as v
            where v.batch_id = r.batch_id and v.row_no = r.row_no and v.field = 'resident_current_address'
        ) as address
    from import_row as r
    where
        r.batch_id = $batch_id
        and r.action = 'insert'
        and r.household_id is not null
        and not starts_with(r.household_ref, 'hh:')
),

heads as (
    select
        household_id,
        household_ref,
        arg_min(
            struct_pack(entity_id := entity_id, grid_code := grid_code, house_id := house_id, address := address),
            case
                when starts_with(household_ref, 'head:') and key = substr(household_ref, 6) then 0
                when relation = '02' then 1
                else 2
            end * 100000000 + row_no
        ) as head,
        bool_or(
            (starts_with(household_ref, 'head:') and key = substr(household_ref, 6)) or relation = '02'
        ) as has_head
    from members
    group by household_id, household_ref
)

select
    household_id,
    case
        when starts_with(household_ref, 'no:') then substr(household_ref, 4)
        else head.grid_code || '-' || lpad(cast(household_id as varchar), 8, '0')
    end,
    case when has_head then head.entity_id end,
    '1',
    head.address,
    head.house_id,
    head.grid_code,
    'active',
    1,
    $username
from heads
