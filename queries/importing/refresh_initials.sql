-- 拼音首字母 of the residents a batch renamed (pinyin_initial is filled for its characters first).
-- params: $batch_id varchar
update resident as e
set name_initials = i.initials
from (
    select
        entity_id,
        string_agg(p.initial, '' order by pos) as initials
    from (
        select
            entity_id,
            generate_subscripts(string_split(new_value, ''), 1) as pos,
            unnest(string_split(new_value, '')) as ch
        from import_change
        where batch_id = $batch_id and kind = 'apply' and field = 'resident_name'
    ) as c
    inner join pinyin_initial as p on c.ch = p.ch
    group by entity_id
) as i
where e.id = i.entity_id
