-- Queue one job.
-- params: $id varchar, $kind varchar, $title varchar, $params json, $writes boolean, $owner varchar, $org_code varchar, $origin varchar
insert into job (id, kind, title, params, writes, state, owner, org_code, origin)
values ($id, $kind, $title, $params, $writes, 'queued', $owner, $org_code, $origin)
