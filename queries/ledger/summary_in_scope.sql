-- Active ledger rows and grids inside one org subtree (the caller's scope).
-- params: $org_code varchar
select
    (select count(*) from resident where starts_with(grid_code, $org_code) and status = 'active')
        as residents,
    (select count(*) from household where starts_with(grid_code, $org_code) and status = 'active')
        as households,
    (select count(*) from house where starts_with(grid_code, $org_code) and status = 'active')
        as houses,
    (select count(*) from shop where starts_with(grid_code, $org_code) and status = 'active')
        as shops,
    (select count(*) from org_unit where starts_with(code, $org_code) and level = 'grid')
        as grids
