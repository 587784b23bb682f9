-- Active shop records per tag inside one org subtree (the tag picker's counts).
-- params: $org_code varchar
select
    entity_tag.tag_id,
    count(*) as n
from entity_tag
inner join shop on entity_tag.entity_id = shop.id
where
    entity_tag.entity = 'shop'
    and shop.status = 'active'
    and starts_with(shop.grid_code, $org_code)
group by entity_tag.tag_id
