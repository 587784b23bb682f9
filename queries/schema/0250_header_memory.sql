-- One memory of header-mapping decisions for 数据回流, 报表中心 and 报表准入 (yibiaotong/mapping.py).
-- A decision maps a header (tidied, parts joined with "/") to a field code, an extra such as
-- "seq", or null (leave unmapped), within a context ("source:<code>", "form:<signature>",
-- "request:<id>"), and holds in the decider's org subtree. Absorbs report_form_mapping, whose
-- rows (column key "B:老人基本情况›姓名" → value) become decisions of context "form:<signature>".

create table header_memory (
    context varchar not null,
    org_code varchar not null,
    header varchar not null,
    field varchar,
    decided_by varchar not null,
    decided_at timestamp not null default current_timestamp,
    primary key (context, org_code, header)
);

insert into header_memory (context, org_code, header, field, decided_by, decided_at)
select distinct on (context, org_code, header)
    'form:' || m.signature as context,
    coalesce(
        u.org_code,
        (select min(code) from org_unit where level = 'district'),
        '330102'
    ) as org_code,
    replace(regexp_replace(k.key, '^[A-Z]+:', ''), '›', '/') as header,
    m.mapping ->> k.key as field,
    m.updated_by as decided_by,
    m.updated_at as decided_at
from report_form_mapping as m
cross join unnest(json_keys(m.mapping)) as k (key)
left join app_user as u on u.username = m.updated_by
where replace(regexp_replace(k.key, '^[A-Z]+:', ''), '›', '/') <> '';

drop table report_form_mapping;
