-- The admin adopts the catalogue's rule for a tag: it is in use and no longer an edit.
-- params: $code varchar
update tag
set
    rule = offered_rule,
    catalog_rule = offered_rule,
    offered_rule = null,
    rule_edited_by = null,
    rule_edited_at = null
where code = $code and offered_rule is not null
returning entity
