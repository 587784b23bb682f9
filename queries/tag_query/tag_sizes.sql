-- Rows per tag in the whole file: the compiler joins the rarest tags first.
-- params: none
select
    tag_id,
    count(*) as n
from entity_tag
group by tag_id
