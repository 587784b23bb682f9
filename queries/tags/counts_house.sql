-- Active house records per tag inside one org subtree (the tag picker's counts).
-- params: $org_code varchar
select
    entity_tag.tag_id,
    count(*) as n
from entity_tag
inner join house on entity_tag.entity_id = house.id
where
    entity_tag.entity = 'house'
    and house.status = 'active'
    and starts_with(house.grid_code, $org_code)
group by entity_tag.tag_id
