-- Every field's code, entity, name and synonyms, retired ones too (codes are never reused).
-- params: none
select
    code,
    entity,
    name,
    synonyms,
    status
from field_def
