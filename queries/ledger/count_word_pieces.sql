-- How many of $pieces occur in an entity's non-address search columns (schema 0161): when not
-- all of them, a word cannot be in those columns and only its address is looked up.
-- params: $entity varchar, $pieces varchar[]
select count(distinct token)
from word_piece
where entity = $entity and list_contains($pieces, token)
