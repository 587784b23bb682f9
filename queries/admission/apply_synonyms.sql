-- Merge the synonyms admins added into the field standard (after the catalogue is reloaded).
-- params: none
with added as (
    select
        field_code,
        list(synonym order by added_at, synonym) as synonyms
    from field_synonym_added
    group by field_code
)

update field_def
set synonyms = list_distinct(list_concat(field_def.synonyms, added.synonyms))
from added
where field_def.code = added.field_code and not list_has_all(field_def.synonyms, added.synonyms)
