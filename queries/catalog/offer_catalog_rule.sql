-- A tag edited in the console keeps its rule; the catalogue's new rule waits as an offer
-- (null when the catalogue now says what the edit says).
-- params: $code varchar, $rule varchar, $offered varchar
update tag
set
    catalog_rule = $rule::json,
    offered_rule = $offered::json
where code = $code
