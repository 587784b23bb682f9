-- Largest ids in the ledger tables: generated rows continue after them.
-- params: none
select
    (select coalesce(max(id), 0) from resident) as resident,
    (select coalesce(max(id), 0) from household) as household,
    (select coalesce(max(id), 0) from house) as house,
    (select coalesce(max(id), 0) from shop) as shop
