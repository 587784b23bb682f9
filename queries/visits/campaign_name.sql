-- A campaign's name, for change_log sources written as visit:<campaign id>.
-- params: $id varchar
select name
from campaign
where id = $id
