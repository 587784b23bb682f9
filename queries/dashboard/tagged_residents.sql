-- Active residents in scope carrying each of the given tags (高龄 / 独居 / 残疾 / 低保 …), from entity_tag.
-- params: $org_code varchar, $tag_codes varchar[]
select
    t.code,
    count(*) as residents
from entity_tag as et
inner join tag as t on t.id = et.tag_id
inner join resident as r on r.id = et.entity_id
where
    et.entity = 'resident'
    and list_contains($tag_codes, t.code)
    and r.status = 'active'
    and starts_with(r.grid_code, $org_code)
group by t.code
