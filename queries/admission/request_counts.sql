-- Requests per kind and state (the admission figures).
-- params: none
select
    kind,
    state,
    count(*) as requests
from report_request
group by all
