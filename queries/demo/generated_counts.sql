-- Rows the generator added, counted after the ids it started from.
-- params: $resident_base bigint, $household_base bigint, $house_base bigint, $shop_base bigint
select
    (select count(*) from resident where id > $resident_base) as residents,
    (select count(*) from household where id > $household_base) as households,
    (select count(*) from house where id > $house_base) as houses,
    (select count(*) from shop where id > $shop_base) as shops,
    (
        select count(*)
        from entity_tag
        where entity = 'resident' and source = 'import' and entity_id > $resident_base
    ) as import_tags
