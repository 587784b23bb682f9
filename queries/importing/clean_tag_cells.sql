-- A tag column names import tags by name or code (several per cell, split by 、,;/): keep the
-- codes the batch's source owns, refuse a value naming any other.
-- params: $batch_id varchar, $source varchar
update import_clean as c
set
    value = t.codes,
    problem = t.problem
from (
    with
    parts as (
        select
            raw,
            col,
            unnest(regexp_split_to_array(value, '[、,;，；/\s]+')) as part
        from import_clean
        where
            batch_id = $batch_id
            and value is not null
            and col in (select col from import_map where batch_id = $batch_id and target = 'tag')
    ),

    owned as (
        select
            t.code,
            t.name
        from import_source_tag as s
        inner join tag as t on s.tag_code = t.code
        where s.source = $source
    )

    select
        p.raw,
        p.col,
        string_agg(distinct o.code, ',' order by o.code) as codes,
        case
            when count(*) filter (where o.code is null and p.part <> '') > 0
                then '“' || string_agg(p.part, '、') filter (where o.code is null and p.part <> '')
                || '”不是本来源可设置的标签（可设置：'
                || (select string_agg(name, '、' order by code) from owned) || '）'
        end as problem
    from parts as p
    left join owned as o on p.part in (o.code, o.name)
    group by p.raw, p.col
) as t
where c.batch_id = $batch_id and c.raw = t.raw and c.col = t.col
