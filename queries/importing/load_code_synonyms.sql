-- Values of code lists as files write them: every code (also without its leading zeros), every
-- item name, and the catalogue's extra spellings ($lists/$synonyms/$codes), all upper case.
-- params: $lists varchar[], $synonyms varchar[], $codes varchar[]
insert into code_synonym (list_code, synonym, code)
with
spellings as (
    select list_code, upper(code) as synonym, code, 1 as rank
    from code_item
    union all
    select list_code, upper(name), code, 2
    from code_item
    union all
    select list_code, ltrim(code, '0'), code, 3
    from code_item
    where ltrim(code, '0') <> ''
    union all
    select
        unnest($lists),
        upper(unnest($synonyms)),
        unnest($codes),
        4
),

ranked as (
    select
        list_code,
        synonym,
        code,
        row_number() over (partition by list_code, synonym order by rank, code) as n
    from spellings
)

select
    list_code,
    synonym,
    code
from ranked
where n = 1
on conflict (list_code, synonym) do update set code = excluded.code
