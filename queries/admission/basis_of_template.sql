-- The legal basis of the last approved request that created or renewed a template.
-- params: $template_code varchar
select legal_basis
from report_request
where template_code = $template_code and state in ('approved_new', 'renewed')
order by updated_at desc
limit 1
