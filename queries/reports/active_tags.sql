-- Active tag codes and their entities, for validating template filters while loading.
-- params: none
select
    code,
    entity
from tag
where status = 'active'
