-- Store the edited structured rule of a rule tag; the edit is marked so a catalogue load keeps it.
-- params: $code varchar, $rule varchar, $username varchar
update tag
set
    rule = $rule::json,
    rule_edited_by = $username,
    rule_edited_at = current_timestamp
where code = $code and kind = 'rule'
