-- Remember (or change) one header decision of a context for the decider's org subtree.
-- params: $context varchar, $org_code varchar, $header varchar, $field varchar, $decided_by varchar
insert into header_memory (context, org_code, header, field, decided_by)
values ($context, $org_code, $header, $field, $decided_by)
on conflict (context, org_code, header) do update set
    field = excluded.field,
    decided_by = excluded.decided_by,
    decided_at = now()
