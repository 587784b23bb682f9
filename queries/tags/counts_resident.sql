-- Active resident records per tag inside one org subtree (the tag picker's counts).
-- params: $org_code varchar
select
    entity_tag.tag_id,
    count(*) as n
from entity_tag
inner join resident on entity_tag.entity_id = resident.id
where
    entity_tag.entity = 'resident'
    and resident.status = 'active'
    and starts_with(resident.grid_code, $org_code)
group by entity_tag.tag_id
