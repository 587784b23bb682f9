-- The last id of the address book (0 when empty): fill_address_pieces covers the ids after it.
-- params: none
select coalesce(max(id), 0)
from address_book
