-- Clean every distinct value of each mapped column of one batch, once, by the kind of field the
-- column maps to: its canonical value (ID numbers upgraded to 18 digits, dates ISO, phones
-- normalised, codes from their synonyms), what is wrong with it in Chinese, and the cleaning rules
-- that changed it (counted in the preview, weighted by how often the value occurs).
-- Spreadsheet number cells arrive marked with chr(1), formula cells with chr(2) (see reader.py).
-- params: $batch_id varchar, $today date
insert into import_clean (batch_id, col, raw, n, value, problem, rules)
with
cells as (
    select
        m.col,
        any_value(m.target) as target,
        any_value(m.kind) as kind,
        any_value(m.code_list) as code_list,
        any_value(m.max_length) as max_length,
        r.cells[m.col + 1] as raw,
        count(*) as n,
        -- the key of a distinct value: row_no below stands for it in the typed branches
        row_number() over () as row_no
    from import_raw as r
    inner join import_map as m on r.batch_id = m.batch_id
    where r.batch_id = $batch_id
    group by m.col, r.cells[m.col + 1]
),

marked as (
    select
        *,
        coalesce(starts_with(raw, chr(1)), false) as number_cell,
        coalesce(starts_with(raw, chr(2)), false) as formula_cell,
        ltrim(raw, chr(1) || chr(2)) as text0
    from cells
),

halved as (
    select
        *,
        regexp_matches(text0, '[０-９Ａ-Ｚａ-ｚ]') as had_fullwidth,
        yb_halfwidth(text0) as half
    from marked
),

spaced as (
    select
        *,
        yb_trim(half) as s
    from halved
),

prepared as materialized (
    select
        *,
        coalesce(s <> half, false) as was_trimmed,
        -- Numbers as people key them: no spaces or invisible characters anywhere, no leading '.
        case
            when kind in ('id_number', 'phone', 'uscc', 'int', 'decimal', 'bool')
                then upper(
                    ltrim(
                        regexp_replace(s, '[\s\x{200b}\x{200c}\x{200d}\x{2060}\x{feff}]', '', 'g'),
                        ''''
                    )
                )
        end as compact
    from spaced
),

-- ID numbers (GB 11643): 15 digits upgraded, check digit and birth date verified, never the county.
ids as (
    select
        *,
        case
            when length(compact) = 15 and regexp_full_match(compact, '[0-9]{15}')
                then left(compact, 6) || '19' || substr(compact, 7)
            else compact
        end as id17
    from prepared
    where kind = 'id_number' and s <> ''
),

ids_checked as (
    select
        row_no,
        col,
        case
            when length(compact) = 15 then id17 || yb_id_check(id17)
            else compact
        end as value,
        try(make_date(
            cast(substr(id17, 7, 4) as integer),
            cast(substr(id17, 11, 2) as integer),
            cast(substr(id17, 13, 2) as integer)
        )) as born,
        case
            when number_cell
                or regexp_full_match(compact, '\d(\.\d+)?E\+?\d+')
                or regexp_full_match(compact, '\d+\.\d+')
                then '按数字格式保存会丢失位数（Excel 只保留15位有效数字），请改为文本格式后重新导出'
            when length(compact) = 15 and not regexp_full_match(compact, '[0-9]{15}')
                then '15位旧号码只能由数字组成'
            when length(compact) not in (15, 18)
                then '应为18位（或15位旧号码），实际为' || length(compact) || '位'
            when length(compact) = 18 and not regexp_full_match(compact, '[0-9]{17}[0-9X]')
                then '格式不正确，前17位应为数字，末位为数字或 X'
            when not (
                left(compact, 1) = '9' and length(compact) = 18
                or left(compact, 2) in (
                    '11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35',
                    '36', '37', '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54',
                    '61', '62', '63', '64', '65', '71', '81', '82', '83'
                )
            )
                then '前两位 ' || left(compact, 2) || ' 不是有效的省级行政区划代码'
        end as problem,
        length(compact) = 15 as upgraded
    from ids
),

ids_clean as (
    select
        row_no,
        col,
        value,
        coalesce(
            problem,
            case
                when born is null
                    then '第7至14位出生日期 ' || substr(value, 7, 8) || ' 不是有效日期'
                when born > $today
                    then '第7至14位出生日期 ' || strftime(born, '%Y-%m-%d') || ' 晚于今天'
                when year(born) < 1890 then '第7至14位出生日期早于1890年'
                when right(value, 1) <> yb_id_check(value)
                    then '校验位错误（应为 ' || yb_id_check(value) || '）'
                    || case
                        when right(value, 3) = '000'
                            then '；末三位为000，可能是 Excel 按数字保存丢失了位数'
                        else ''
                    end
            end
        ) as problem,
        case when upgraded then 'id15' end as rule
    from ids_checked
),

-- Dates: 2023年4月21日, 2023-4-21, 2023/4/21, 2023.4.21 (with a time), 20230421, Excel serials.
dates as (
    select
        *,
        regexp_replace(s, '\s*([年月日号/.\-])\s*', '\1', 'g') as typed
    from prepared
    where kind = 'date' and s <> ''
),

date_parts as (
    select
        *,
        case
            when number_cell or regexp_full_match(typed, '[0-9]{5}')
                then try_cast(typed as double)
        end as serial,
        case
            when regexp_full_match(typed, '(\d{4})年(\d{1,2})月(\d{1,2})[日号]?')
                then regexp_extract(typed, '^(\d{4})年(\d{1,2})月(\d{1,2})', ['y', 'm', 'd'])
            when regexp_full_match(typed, '\d{4}([-/.])\d{1,2}([-/.])\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?')
                then regexp_extract(
                    typed, '^(\d{4})([-/.])(\d{1,2})([-/.])(\d{1,2})', ['y', 's1', 'm', 's2', 'd']
                )
        end as p1,
        case
            when regexp_full_match(typed, '\d{8}')
                then regexp_extract(typed, '^(\d{4})(\d{2})(\d{2})$', ['y', 'm', 'd'])
        end as p2
    from dates
),

date_values as (
    select
        row_no,
        col,
        typed,
        case
            -- Excel counts 1900-02-29, which never was: serials before it start a day later.
            when serial is not null and serial >= 1 and serial < 61
                then cast(date '1899-12-31' + cast(floor(serial) as integer) as date)
            when serial is not null and serial >= 61 and serial < 2958466
                then cast(date '1899-12-30' + cast(floor(serial) as integer) as date)
            when p1.y is not null and coalesce(p1.s1, '') = coalesce(p1.s2, '')
                then try(make_date(cast(p1.y as integer), cast(p1.m as integer), cast(p1.d as integer)))
            when p2.y is not null
                then try(make_date(cast(p2.y as integer), cast(p2.m as integer), cast(p2.d as integer)))
        end as day,
        serial is not null and serial >= 1 as from_serial,
        coalesce(
            serial is not null
            or (p1.y is not null and coalesce(p1.s1, '') = coalesce(p1.s2, ''))
            or p2.y is not null,
            false
        ) as recognised
    from date_parts
),

dates_clean as (
    select
        row_no,
        col,
        strftime(day, '%Y-%m-%d') as value,
        case
            when not recognised
                then '无法识别“' || left(typed, 20) || '”，请按 2023-04-21 或 2023年4月21日 填写'
            when day is null then '“' || left(typed, 20) || '”不是有效日期'
            when year(day) not between 1800 and 2100
                then '年份 ' || year(day) || ' 不在合理范围内'
            when day > $today then strftime(day, '%Y-%m-%d') || ' 晚于今天'
        end as problem,
        case
            when from_serial then 'serial'
            when strftime(day, '%Y-%m-%d') <> typed then 'date'
        end as rule
    from date_values
),

-- Phones: spaces, dashes, +86 and brackets away; mobiles 11 digits, landlines 0571-87654321.
phones as (
    select
        *,
        replace(replace(compact, '(', ''), ')', '-') as p0
    from prepared
    where kind = 'phone' and s <> ''
),

phones_stripped as (
    select
        *,
        case
            when starts_with(p0, '+86') then ltrim(substr(p0, 4), '-')
            when starts_with(p0, '0086') then ltrim(substr(p0, 5), '-')
        end as national
    from phones
),

phones_flat as (
    select
        *,
        case
            when national is null then p0
            when national <> '' and left(national, 1) not in ('0', '1') then '0' || national
            else national
        end as p
    from phones_stripped
),

phones_kind as (
    select
        *,
        replace(p, '-', '') as flat,
        regexp_extract(
            p,
            '(?i)^(?:(0(?:[12]\d|[3-9]\d{2}))-?)?([2-9]\d{6,7})(?:(?:-|转|分机|ext\.?|x|#)(\d{1,6}))?$',
            ['area', 'local', 'ext']
        ) as land
    from phones_flat
),

phones_mobile as (
    select
        *,
        starts_with(flat, '1') or (length(flat) = 13 and starts_with(flat, '861')) as is_mobile,
        case when length(flat) = 13 and starts_with(flat, '86') then substr(flat, 3) else flat end
            as mob
    from phones_kind
),

phones_clean as (
    select
        row_no,
        col,
        case
            when is_mobile then mob
            when land.local <> ''
                then
                    case when land.area <> '' then land.area || '-' else '' end
                    || land.local
                    || case when land.ext <> '' then '转' || land.ext else '' end
        end as value,
        case
            when is_mobile and not regexp_full_match(mob, '[0-9]*') then '只能包含数字'
            when is_mobile and length(mob) <> 11 then '应为11位数字，实际为' || length(mob) || '位'
            when is_mobile and not regexp_full_match(mob, '1[3-9][0-9]{9}')
                then '不是有效的手机号（应以13至19开头）'
            when not is_mobile and coalesce(land.local, '') = '' and number_cell
                then '按数字格式保存会丢失开头的 0，请改为文本格式后重新导出'
            when not is_mobile and coalesce(land.local, '') = ''
                then '格式不正确，应为11位手机号或座机号（如 0571-87654321）'
        end as problem,
        'phone' as rule
    from phones_mobile
),

-- Unified social credit codes (GB 32100).
usccs as (
    select
        row_no,
        col,
        replace(compact, '-', '') as value
    from prepared
    where kind = 'uscc' and s <> ''
),

usccs_clean as (
    select
        row_no,
        col,
        value,
        case
            when length(value) <> 18 then '应为18位，实际为' || length(value) || '位'
            when not regexp_full_match(value, '[0-9]{8}[0-9ABCDEFGHJKLMNPQRTUWXY]{10}')
                then '格式不正确：前8位应为数字，其余为数字或大写字母（不含 I、O、Z、S、V）'
            when right(value, 1) <> yb_uscc_check(value)
                then '校验位错误（应为 ' || yb_uscc_check(value) || '）'
        end as problem,
        null::varchar as rule
    from usccs
),

-- Code lists through their synonyms (男 / M / 1 → "1").
codes_clean as (
    select
        p.row_no,
        p.col,
        cs.code as value,
        case when cs.code is null then '“' || left(p.s, 20) || '”不是代码表中的值' end as problem,
        case when cs.code is not null and cs.code <> p.s then 'code' end as rule
    from prepared as p
    left join code_synonym as cs on p.code_list = cs.list_code and upper(p.s) = cs.synonym
    where p.kind = 'code' and p.s <> ''
),

numbers_clean as (
    select
        row_no,
        col,
        case
            when kind = 'int' then cast(try_cast(try_cast(compact as double) as bigint) as varchar)
            else cast(try_cast(compact as decimal(18, 2)) as varchar)
        end as value,
        case
            when try_cast(compact as double) is null
                then case when kind = 'int' then '须为整数' else '须为数字' end
            when kind = 'int' and try_cast(compact as double) <> floor(try_cast(compact as double))
                then '须为整数'
            when kind = 'int' and try_cast(compact as double) not between 0 and 1000000
                then '数值超出合理范围'
            when kind = 'decimal' and not (try_cast(compact as double) >= 0 and try_cast(compact as double) < 1000000)
                then '数值超出合理范围'
        end as problem,
        null::varchar as rule
    from prepared
    where kind in ('int', 'decimal') and s <> ''
),

bools_clean as (
    select
        row_no,
        col,
        case
            when upper(compact) in ('是', 'TRUE', '1', 'Y', 'YES', '有') then 'true'
            when upper(compact) in ('否', 'FALSE', '0', 'N', 'NO', '无') then 'false'
        end as value,
        case
            when upper(compact) not in ('是', 'TRUE', '1', 'Y', 'YES', '有', '否', 'FALSE', '0', 'N', 'NO', '无')
                then '须为“是”或“否”'
        end as problem,
        null::varchar as rule
    from prepared
    where kind = 'bool' and s <> ''
),

-- Free text (names, addresses, 户号, org names, tag names, kept columns).
texts_clean as (
    select
        row_no,
        col,
        t as value,
        case
            when regexp_matches(t, '[\x00-\x08\x0b-\x0d\x0e-\x1f\x7f-\x{9f}\x{202a}-\x{202e}\x{2066}-\x{2069}]')
                then '含有不可见的控制字符，请删除后重新导出'
            when yb_formula_like(t) then '不能以 = + - @ 开头（表格软件会把它当作公式执行）'
            when max_length is not null and length(t) > max_length
                then '不能超过' || max_length || '个字（当前' || length(t) || '个）'
        end as problem,
        null::varchar as rule
    from (
        select
            *,
            replace(s, chr(13) || chr(10), chr(10)) as t
        from prepared
        where kind not in ('id_number', 'date', 'phone', 'uscc', 'code', 'int', 'decimal', 'bool') and s <> ''
    )
),

cleaned as (
    select * from ids_clean
    union all
    select * from dates_clean
    union all
    select * from phones_clean
    union all
    select * from usccs_clean
    union all
    select * from codes_clean
    union all
    select * from numbers_clean
    union all
    select * from bools_clean
    union all
    select * from texts_clean
)

select
    $batch_id,
    p.col,
    p.raw,
    p.n,
    case when c.problem is null and not p.formula_cell then c.value end,
    case
        when p.formula_cell then '单元格是公式，请在 Excel 中复制后“选择性粘贴 → 数值”再导入'
        else c.problem
    end,
    list_filter(
        [
            case when p.had_fullwidth then 'fullwidth' end,
            case when p.was_trimmed then 'trim' end,
            case when c.problem is null then c.rule end
        ],
        lambda x: x is not null
    )
from prepared as p
left join cleaned as c on p.row_no = c.row_no and p.col = c.col
