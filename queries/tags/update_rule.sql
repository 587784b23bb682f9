-- Store the edited structured rule of a rule tag.
-- params: $code varchar, $rule varchar
update tag
set rule = $rule::json
where code = $code and kind = 'rule'
