-- Drop the search tokens of the residents a write batch touched (all when $ids is null), before
-- fill_search_tokens writes their current ones.
-- params: $ids bigint[]
delete from resident_search_token
where $ids is null or resident_id in (select unnest($ids))
