-- One task per active household in the campaign's unit, in grid / building / unit / room order,
-- assigned to the active social worker bound nearest to the household's grid (grid, then
-- community). Numbers are left-padded with spaces so "12" sorts after "7".
-- params: $campaign_id varchar, $org_code varchar
insert into visit_task (campaign_id, entity_id, grid_code, assignee, sort_key, label)
select
    $campaign_id,
    h.id,
    h.grid_code,
    w.username,
    lpad(coalesce(ho.building, ''), 8, ' ')
    || lpad(coalesce(ho.unit_no, ''), 4, ' ')
    || lpad(coalesce(ho.room_no, ''), 6, ' ') as sort_key,
    coalesce(h.address, ho.address)
from household as h
left join house as ho on h.house_id = ho.id
left join grid_workers($org_code) as w on h.grid_code = w.grid_code
where h.status = 'active' and starts_with(h.grid_code, $org_code)
order by h.grid_code, sort_key, h.id
