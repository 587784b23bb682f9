-- An org unit by its name and its parent's name (demo accounts are declared by name).
-- params: $name varchar, $parent_name varchar
select o.code
from org_unit as o
inner join org_unit as p on p.code = o.parent_code
where o.name = $name and p.name = $parent_name
