-- Active household records per tag inside one org subtree (the tag picker's counts).
-- params: $org_code varchar
select
    entity_tag.tag_id,
    count(*) as n
from entity_tag
inner join household on entity_tag.entity_id = household.id
where
    entity_tag.entity = 'household'
    and household.status = 'active'
    and starts_with(household.grid_code, $org_code)
group by entity_tag.tag_id
