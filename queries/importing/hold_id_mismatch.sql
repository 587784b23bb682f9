-- Residents whose file gives a birth date or sex that disagrees with their ID number are held
-- for review, never written (the ID carries both: digits 7–14 and the parity of digit 17).
-- params: $batch_id varchar
update import_row as r
set
    action = 'hold',
    reason = facts.reason
from (
    select
        v.row_no,
        string_agg(
            case
                when v.field = 'resident_birth_date'
                    and v.value <> substr(r.key, 7, 4) || '-' || substr(r.key, 11, 2) || '-' || substr(r.key, 13, 2)
                    then '出生日期与身份证号不符（身份证号为 '
                    || substr(r.key, 7, 4) || '-' || substr(r.key, 11, 2) || '-' || substr(r.key, 13, 2)
                    || '，文件为 ' || v.value || '）'
                when v.field = 'resident_sex'
                    and v.value in ('1', '2')
                    and v.value <> case when cast(substr(r.key, 17, 1) as integer) % 2 = 1 then '1' else '2' end
                    then '性别与身份证号不符（身份证号为'
                    || case when cast(substr(r.key, 17, 1) as integer) % 2 = 1 then '男' else '女' end
                    || '），待核实'
            end,
            '；'
        ) as reason
    from import_value as v
    inner join import_row as r on v.batch_id = r.batch_id and v.row_no = r.row_no
    where
        v.batch_id = $batch_id
        and r.action in ('match', 'new')
        and v.field in ('resident_birth_date', 'resident_sex')
        and v.value is not null and v.problem is null
    group by v.row_no
) as facts
where
    r.batch_id = $batch_id
    and r.row_no = facts.row_no
    and facts.reason is not null
