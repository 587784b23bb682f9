-- Characters of the names a batch writes that have no search initial yet.
-- params: $batch_id varchar
select distinct ch
from (
    select unnest(string_split(value, '')) as ch
    from import_value
    where batch_id = $batch_id and field = 'resident_name'
)
where ch not in (select ch from pinyin_initial)
