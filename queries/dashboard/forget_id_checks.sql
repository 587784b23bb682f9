-- Drop every stored ID-check count (they are recomputed on the next view).
-- params: none
delete from dashboard_id_check
