-- The first rows of each action of a preview with what identifies them (key, name, place).
-- params: $batch_id varchar, $per_action integer
with
ranked as (
    select
        *,
        row_number() over (partition by action order by row_no) as n
    from import_row
    where batch_id = $batch_id
)

select
    r.action,
    r.row_no,
    r.key,
    r.reason,
    r.grid_code,
    g.full_name as place,
    r.place_method,
    r.candidates,
    r.household_ref,
    (
        select first(v.value order by v.field)
        from import_value as v
        where
            v.batch_id = r.batch_id
            and v.row_no = r.row_no
            and v.field in ('resident_name', 'shop_name', 'house_address', 'household_address')
    ) as label
from ranked as r
left join org_unit as g on r.grid_code = g.code
where r.n <= $per_action
order by r.action, r.row_no
