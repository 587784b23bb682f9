-- Every child (any status) of one person with both parent links, to work out relations.
-- params: $parent_id bigint
select
    id,
    mother_id,
    father_id
from resident
where mother_id = $parent_id or father_id = $parent_id
