-- Search initials of new characters (computed by pypinyin).
-- params: $chars varchar[], $initials varchar[]
insert into pinyin_initial (ch, initial)
select
    unnest($chars),
    unnest($initials)
on conflict do nothing
