-- One task per active household in the campaign's unit, in grid / building / unit / room order,
-- assigned to the active social worker bound nearest to the household's grid (grid, then
-- community). Numbers are left-padded with spaces so "12" sorts after "7".
-- params: $campaign_id varchar, $org_code varchar
insert into visit_task (campaign_id, entity_id, grid_code, assignee, sort_key, label)
with
workers as (
    select
        o.code as grid_code,
        first(u.username order by length(u.org_code) desc, u.username) as username
    from org_unit as o
    inner join app_user as u
        on starts_with(o.code, u.org_code) and u.role = 'social_worker' and u.active
    where o.level = 'grid' and starts_with(o.code, $org_code)
    group by o.code
)

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
left join workers as w on h.grid_code = w.grid_code
where h.status = 'active' and starts_with(h.grid_code, $org_code)
order by h.grid_code, sort_key, h.id
