-- Tags whose catalogue rule changed after the rule was edited in the console: the rule in use
-- and the catalogue's, waiting for the admin.
-- params: none
select
    code,
    name,
    entity,
    rule,
    offered_rule,
    rule_edited_by,
    rule_edited_at
from tag
where offered_rule is not null
order by category, sort_order, code
