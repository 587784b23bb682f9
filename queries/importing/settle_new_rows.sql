-- A placed new row inside the caller's subtree is inserted; placed (or only placeable) outside it,
-- refused; not placed, it waits in 待落地 with the candidates inside the caller's subtree.
-- params: $batch_id varchar, $org_code varchar
update import_row
set
    action = case
        when grid_code is not null and starts_with(grid_code, $org_code) then 'insert'
        when grid_code is not null then 'outside'
        when len(candidates) > 0 and len(list_filter(candidates, lambda g: starts_with(g, $org_code))) = 0
            then 'outside'
        else 'unplaced'
    end,
    grid_code = case when starts_with(grid_code, $org_code) then grid_code end,
    house_id = case when starts_with(grid_code, $org_code) then house_id end,
    candidates = list_filter(candidates, lambda g: starts_with(g, $org_code)),
    reason = case
        when grid_code is not null and starts_with(grid_code, $org_code) then null
        when grid_code is not null
            or (len(candidates) > 0 and len(list_filter(candidates, lambda g: starts_with(g, $org_code))) = 0)
            then '所在网格不在您的辖区内，未写入'
        else '无法确定所属网格，待落地确认'
    end
where batch_id = $batch_id and action = 'new'
