-- Classify the rows of a batch (after duplicates were collapsed): refused when a cell failed
-- cleaning, the key is missing or repeats with other content; held when the ledger has the key
-- twice; `outside` when the matched record lies outside the caller's subtree; else match or new.
-- {entity_table} and {key_column} come from the engine's whitelist of ledger keys.
-- params: $batch_id varchar, $key_field varchar, $key_name varchar, $org_code varchar
insert into import_row (batch_id, row_no, key, entity_id, action, grid_code, reason)
with
file_rows as (
    select row_no
    from import_raw
    where batch_id = $batch_id
),

keys as (
    select
        row_no,
        value as key
    from import_value
    where batch_id = $batch_id and field = $key_field and value is not null
),

bad as (
    select
        row_no,
        count(*) as problems
    from import_value
    where batch_id = $batch_id and problem is not null
    group by row_no
),

repeated as (
    select
        key,
        list(row_no order by row_no) as row_nos
    from keys
    group by key
    having count(*) > 1
),

matches as (
    select
        k.row_no,
        min(e.id) as entity_id,
        count(*) as n,
        min(e.grid_code) as grid_code
    from keys as k
    inner join {entity_table} as e on k.key = e.{key_column}
    group by k.row_no
)

select
    $batch_id,
    f.row_no,
    k.key,
    m.entity_id,
    case
        when b.problems is not null or k.key is null or rp.key is not null then 'reject'
        when m.n > 1 then 'hold'
        when m.entity_id is not null and not starts_with(m.grid_code, $org_code) then 'outside'
        when m.entity_id is not null then 'match'
        else 'new'
    end,
    case when starts_with(m.grid_code, $org_code) then m.grid_code end,
    case
        when b.problems is not null then null
        when k.key is null then '缺少' || $key_name || '，无法与台账比对'
        when rp.key is not null
            then '文件中第 ' || array_to_string(rp.row_nos, '、') || ' 行的' || $key_name
            || '相同但内容不同，请核对后只保留一行'
        when m.n > 1
            then '台账中有 ' || m.n || ' 条记录使用该' || $key_name || '，请先在台账中核实'
        when m.entity_id is not null and not starts_with(m.grid_code, $org_code)
            then '该记录属于您辖区以外，未写入'
    end
from file_rows as f
left join keys as k on f.row_no = k.row_no
left join bad as b on f.row_no = b.row_no
left join repeated as rp on k.key = rp.key
left join matches as m on f.row_no = m.row_no
