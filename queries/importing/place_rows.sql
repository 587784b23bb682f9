-- Place each new row in the org tree, best evidence first: its org column (a grid, or a unit with
-- one grid), its 户号 (an existing household's grid), its address (a house of the ledger at the
-- same address, or the one grid of the 社区 the address names), then the org chosen at upload.
-- A row with several candidates keeps the first five for a clerk (待落地).
-- params: $batch_id varchar, $default_org varchar, $address_field varchar
update import_row as r
set
    grid_code = p.grid_code,
    house_id = p.house_id,
    place_method = p.method,
    candidates = p.candidates
from (
    with
    vals as (
        select
            v.row_no,
            max(v.value) filter (where v.field = 'org') as org_value,
            max(v.value) filter (where v.field = $address_field) as address,
            max(v.value) filter (where v.field = 'household_no') as household_no
        from import_value as v
        inner join import_row as n on v.batch_id = n.batch_id and v.row_no = n.row_no
        where v.batch_id = $batch_id and n.action = 'new'
        group by v.row_no
    ),

    units as (
        select
            code,
            replace(replace(full_name, '/', ''), '上城区', '') as unit_key
        from org_unit
    ),

    -- Distinct org values first: a file names a few dozen units however many rows it has.
    org_values as (
        select distinct
            org_value,
            yb_address_key(org_value) as org_key
        from vals
        where org_value is not null
    ),

    org_grids as (
        select
            o.org_value,
            list(distinct g.code order by g.code) as grids
        from org_values as o
        inner join units as u
            on o.org_value = u.code or (length(o.org_key) >= 2 and ends_with(u.unit_key, o.org_key))
        inner join org_unit as g on g.level = 'grid' and starts_with(g.code, u.code)
        group by o.org_value
    ),

    by_org as (
        select
            v.row_no,
            o.grids
        from vals as v
        inner join org_grids as o on v.org_value = o.org_value
    ),

    by_household as (
        select
            v.row_no,
            min(h.grid_code) as grid_code,
            min(h.house_id) as house_id
        from vals as v
        inner join household as h on v.household_no = h.household_no and h.status = 'active'
        group by v.row_no
    ),

    -- Houses are keyed once per distinct address of the file, not once per row.
    addresses as (
        select distinct
            address,
            yb_address_key(address) as address_key
        from vals
        where address is not null
    ),

    houses_at as (
        select
            a.address,
            list(distinct h.grid_code order by h.grid_code) as grids,
            min(h.id) as house_id,
            count(distinct h.id) as houses
        from addresses as a
        inner join house as h on a.address_key = yb_address_key(h.address)
        where h.status = 'active'
        group by a.address
    ),

    by_house as (
        select
            v.row_no,
            h.grids,
            h.house_id,
            h.houses
        from vals as v
        inner join houses_at as h on v.address = h.address
    ),

    community_grids as (
        select
            a.address,
            list(distinct g.code order by g.code) as grids
        from addresses as a
        inner join org_unit as c
            on
                c.level = 'community'
                and c.name = regexp_extract(a.address_key, '([^省市区县路街巷弄号幢]{2,10}社区)', 1)
        inner join org_unit as g on g.level = 'grid' and g.parent_code = c.code
        group by a.address
    ),

    by_community as (
        select
            v.row_no,
            c.grids
        from vals as v
        inner join community_grids as c on v.address = c.address
    ),

    by_default as (
        select list(code order by code) as grids
        from org_unit
        where level = 'grid' and starts_with(code, $default_org)
    )

    select
        n.row_no,
        case
            when o.grids is not null then case when len(o.grids) = 1 then o.grids[1] end
            when hh.grid_code is not null then hh.grid_code
            when hs.grids is not null then case when len(hs.grids) = 1 then hs.grids[1] end
            when c.grids is not null then case when len(c.grids) = 1 then c.grids[1] end
            when len(d.grids) = 1 then d.grids[1]
        end as grid_code,
        case
            when o.grids is not null then null
            when hh.grid_code is not null then hh.house_id
            when hs.grids is not null and hs.houses = 1 then hs.house_id
        end as house_id,
        case
            when o.grids is not null then 'org'
            when hh.grid_code is not null then 'household'
            when hs.grids is not null then 'address'
            when c.grids is not null then 'community'
            when len(d.grids) > 0 then 'upload'
        end as method,
        coalesce(o.grids, hs.grids, c.grids, d.grids)[1:5] as candidates
    from import_row as n
    left join vals as v on n.row_no = v.row_no
    left join by_org as o on n.row_no = o.row_no
    left join by_household as hh on n.row_no = hh.row_no
    left join by_house as hs on n.row_no = hs.row_no
    left join by_community as c on n.row_no = c.row_no
    cross join by_default as d
    where n.batch_id = $batch_id and n.action = 'new'
) as p
where r.batch_id = $batch_id and r.row_no = p.row_no
