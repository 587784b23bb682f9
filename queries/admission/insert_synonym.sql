-- Remember a synonym an admin added to a field (kept apart from the catalogue file).
-- params: $field_code varchar, $synonym varchar, $pile_id bigint, $added_by varchar
insert into field_synonym_added (field_code, synonym, pile_id, added_by)
values ($field_code, $synonym, $pile_id, $added_by)
on conflict (field_code, synonym) do nothing
