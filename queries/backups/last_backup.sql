-- When the last backup attempt of a kind finished: good ones only ($ok true), failed ones, or
-- any ($ok null); any kind when $kind is null.
-- params: $kind varchar, $ok boolean
select max(finished_at)
from backup
where ($ok::boolean is null or ok = $ok) and ($kind::varchar is null or kind = $kind)
