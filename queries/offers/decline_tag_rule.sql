-- The admin keeps the rule edited in the console; the catalogue's rule is no longer offered.
-- params: $code varchar
update tag
set offered_rule = null
where code = $code and offered_rule is not null
returning code
