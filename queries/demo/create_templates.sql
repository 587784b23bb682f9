-- Household templates of the generator (yibiaotong.demo.TEMPLATES).
-- params: $templates struct[]
create or replace temp table demo_template as
select unnest($templates, recursive := true)
