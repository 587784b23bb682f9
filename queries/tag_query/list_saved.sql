-- Saved queries a user may run: their own, and those shared within their org unit's line.
-- params: $username varchar, $org_code varchar
select
    saved_query.id,
    saved_query.name,
    saved_query.owner,
    coalesce(app_user.name, saved_query.owner) as owner_name,
    saved_query.org_code,
    saved_query.shared,
    saved_query.spec,
    saved_query.as_report,
    saved_query.created_at,
    saved_query.updated_at
from saved_query
left join app_user on saved_query.owner = app_user.username
where
    saved_query.owner = $username
    or (
        saved_query.shared
        and (
            starts_with($org_code, saved_query.org_code)
            or starts_with(saved_query.org_code, $org_code)
        )
    )
order by saved_query.owner = $username desc, saved_query.updated_at desc, saved_query.id desc
