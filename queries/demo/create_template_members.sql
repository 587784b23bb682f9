-- Members of each household template: slot, relation to the head, parents, birth order.
-- params: $members struct[]
create or replace temp table demo_template_member as
select unnest($members, recursive := true)
