-- A clerk places one waiting row in a grid: it becomes the batch's only row to insert.
-- params: $batch_id varchar, $row_no integer, $grid_code varchar
update import_row
set
    action = 'insert',
    grid_code = $grid_code,
    place_method = 'clerk',
    reason = null
where batch_id = $batch_id and row_no = $row_no and action = 'unplaced'
