-- One task per active shop in the campaign's unit, by grid and address, assigned to the active
-- social worker bound nearest to the shop's grid.
-- params: $campaign_id varchar, $org_code varchar
insert into visit_task (campaign_id, entity_id, grid_code, assignee, sort_key, label)
select
    $campaign_id,
    s.id,
    s.grid_code,
    w.username,
    coalesce(s.address, '') as sort_key,
    s.name || '（' || coalesce(s.address, '') || '）'
from shop as s
left join grid_workers($org_code) as w on s.grid_code = w.grid_code
where s.status = 'active' and starts_with(s.grid_code, $org_code)
order by s.grid_code, sort_key, s.id
