-- The template created from a consolidated form.
-- params: $pile_id bigint, $seq integer, $template_code varchar
update form_pile_form
set template_code = $template_code
where pile_id = $pile_id and seq = $seq
