-- The owner's saved query of a given name, if any.
-- params: $owner varchar, $name varchar
select id
from saved_query
where owner = $owner and name = $name
