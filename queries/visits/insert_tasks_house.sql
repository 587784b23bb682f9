-- One task per active house in the campaign's unit, in grid / building / unit / room order,
-- assigned to the active social worker bound nearest to the house's grid.
-- params: $campaign_id varchar, $org_code varchar
insert into visit_task (campaign_id, entity_id, grid_code, assignee, sort_key, label)
select
    $campaign_id,
    ho.id,
    ho.grid_code,
    w.username,
    lpad(coalesce(ho.building, ''), 8, ' ')
    || lpad(coalesce(ho.unit_no, ''), 4, ' ')
    || lpad(coalesce(ho.room_no, ''), 6, ' ') as sort_key,
    ho.address
from house as ho
left join grid_workers($org_code) as w on ho.grid_code = w.grid_code
where ho.status = 'active' and starts_with(ho.grid_code, $org_code)
order by ho.grid_code, sort_key, ho.id
