-- One value from app_setting, or no row.
-- params: $key varchar
select value
from app_setting
where key = $key
