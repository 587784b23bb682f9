-- An open request (submitted or sent back) of the department with the same content or title.
-- params: $department varchar, $fingerprint varchar, $title varchar, $template_code varchar
select id, state, title
from report_request
where
    department = $department
    and state in ('submitted', 'returned')
    and (
        fingerprint = $fingerprint
        or (kind = 'new' and lower(trim(title)) = lower(trim($title)))
        or (kind = 'renewal' and template_code = $template_code)
    )
order by id
limit 1
