-- Every tag's id by code, so a reload keeps the ids that entity_tag rows point at.
-- params: none
select
    code,
    id
from tag
