-- One page of households in an org subtree matching the search box, with head and size.
-- params: $org_code varchar, $status varchar, $text varchar, $initials varchar, $digits varchar, $limit integer, $offset integer
with page as (
    select h.*
    from household as h
    where
        starts_with(h.grid_code, $org_code)
        and ($status is null or h.status = $status)
        and ($text is null or contains(h.address, $text) or contains(h.household_no, $text))
        and ($initials is null or exists (
            select 1 from resident as r
            where r.id = h.head_id and starts_with(r.name_initials, $initials)
        ))
        and ($digits is null or contains(h.household_no, $digits) or contains(h.phone, $digits))
    order by {order_by}
    limit $limit offset $offset
)

select
    page.id,
    page.household_no,
    head.name as head_name,
    (
        select count(*) from resident as m
        where m.household_id = page.id and m.status = 'active'
    ) as members,
    page.household_type,
    page.address,
    page.phone,
    g.full_name as org_name,
    page.status,
    page.version
from page
left join resident as head on head.id = page.head_id
left join org_unit as g on g.code = page.grid_code
order by {order_by_page}
