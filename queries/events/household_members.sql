-- Active members of one household in the caller's org subtree, head first, with relation names.
-- params: $household_id bigint, $org_code varchar
select
    r.*,
    rel.name as relation_name
from resident as r
left join code_item as rel
    on rel.list_code = 'relation_to_head' and r.relation_to_head = rel.code
where
    r.household_id = $household_id
    and r.status = 'active'
    and starts_with(r.grid_code, $org_code)
order by r.relation_to_head, r.birth_date, r.id
