-- 走访采集 macros shared by its statements.

-- The active social worker bound nearest to each grid under `org` (grid, then community; ties by
-- username): who a new task is assigned to.
create macro grid_workers(org) as table
select
    o.code as grid_code,
    first(u.username order by length(u.org_code) desc, u.username) as username
from org_unit as o
inner join app_user as u
    on starts_with(o.code, u.org_code) and u.role = 'social_worker' and u.active
where o.level = 'grid' and starts_with(o.code, org)
group by o.code;

-- A campaign's tasks inside `org`, optionally of one assignee and matching a search term (the
-- address, or for a household campaign any active member's name): the visit list's rows.
create macro campaign_tasks(campaign, org, who, term, with_members) as table
select t.*
from visit_task as t
where
    t.campaign_id = campaign
    and starts_with(t.grid_code, org)
    and (who is null or t.assignee = who)
    and (
        term is null
        or contains(t.label, term)
        or (
            with_members
            and t.entity_id in (
                select r.household_id
                from resident as r
                where
                    starts_with(r.grid_code, org)
                    and r.status = 'active'
                    and contains(r.name, term)
            )
        )
    );
