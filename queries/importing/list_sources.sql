-- Backflow sources with their department name, fields (priority order) and owned tags.
-- params: none
select
    s.code,
    s.name,
    s.department,
    d.name as department_name,
    s.entity,
    s.importable,
    s.description,
    coalesce(
        (
            select list(struct_pack(field := f.field, priority := f.priority) order by f.priority desc, f.field)
            from import_source_field as f
            where f.source = s.code
        ),
        []
    ) as fields,
    coalesce(
        (select list(t.tag_code order by t.tag_code) from import_source_tag as t where t.source = s.code),
        []
    ) as tags
from import_source as s
left join department as d on d.code = s.department
order by s.sort_order, s.code
