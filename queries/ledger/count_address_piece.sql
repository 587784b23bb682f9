-- How many addresses hold a two-character piece: a term is looked up through its rarest piece.
-- params: $token varchar
select count(*)
from address_piece
where token = $token
