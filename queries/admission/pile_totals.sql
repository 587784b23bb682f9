-- Forms consolidated and header columns saved over every consolidation run (the figures).
-- params: none
select
    count(*) as piles,
    coalesce(sum(forms), 0) as forms,
    coalesce(sum(headers), 0) as headers,
    coalesce(sum(headers - distinct_fields), 0) as fields_saved
from form_pile
