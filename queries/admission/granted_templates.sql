-- Templates of other departments a department may use because its request was merged into them.
-- params: $department varchar
select distinct template_code
from report_request
where department = $department and state = 'approved_existing' and template_code is not null
