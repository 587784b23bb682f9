-- Each tag's rule as in use, as last loaded from the catalogue, and whether it was edited here.
-- params: none
select
    code,
    entity,
    rule,
    catalog_rule,
    rule_edited_at is not null as edited
from tag
