-- Data freshness of the resident ledger in a subtree: values verified in person since $since,
-- and all filled values of the standard's typed columns ({filled}: a sum of "is not null" terms
-- built from the field standard's whitelist of columns).
-- params: $org_code varchar, $since timestamp, $fields varchar[]
select
    (
        select count(*)
        from field_provenance as p
        inner join resident as r on p.entity_id = r.id
        where
            p.entity = 'resident'
            and p.verified_at >= $since
            and list_contains($fields, p.field)
            and r.status = 'active'
            and starts_with(r.grid_code, $org_code)
    ) as verified,
    (
        select coalesce(sum({filled}), 0)
        from resident as r
        where r.status = 'active' and starts_with(r.grid_code, $org_code)
    ) as filled
