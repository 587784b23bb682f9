-- Drop the address links (schema 0180) of the records of one entity a write batch touched (all
-- of the entity when $ids is null), before fill_address_links writes their current ones.
-- params: $entity varchar, $ids bigint[]
delete from address_link
where entity = $entity and ($ids is null or record_id in (select unnest($ids)))
