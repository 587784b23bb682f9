-- A tag nobody edited in the console follows its new catalogue rule.
-- params: $code varchar, $rule varchar
update tag
set
    rule = $rule::json,
    catalog_rule = $rule::json,
    offered_rule = null
where code = $code
