-- A new record needs the required fields of the standard (姓名, 房屋地址, 店铺名称 …) besides its
-- key: a new row without one is refused, naming what is missing.
-- params: $batch_id varchar, $entity varchar, $key_field varchar
update import_row as r
set
    action = 'reject',
    reason = '新增记录缺少必填字段：' || m.missing
from (
    select
        n.row_no,
        string_agg(f.name, '、' order by f.sort_order) as missing
    from import_row as n
    cross join field_def as f
    where
        n.batch_id = $batch_id
        and n.action = 'new'
        and f.entity = $entity
        and f.required
        and f.status = 'active'
        and f.code not in ($key_field, 'resident_id_type', 'resident_grid_code', 'household_grid_code', 'house_grid_code', 'shop_grid_code')
        and not exists (
            select 1
            from import_value as v
            where v.batch_id = n.batch_id and v.row_no = n.row_no and v.field = f.code
        )
    group by n.row_no
) as m
where r.batch_id = $batch_id and r.row_no = m.row_no
