-- A landed file: a new import batch in state `landed`.
-- params: $id varchar, $source varchar, $entity varchar, $file_name varchar, $sha256 varchar, $size_bytes bigint, $org_code varchar, $default_org varchar, $created_by varchar
insert into import_batch (
    id, source, entity, file_name, sha256, size_bytes, org_code, default_org, state, created_by
)
values (
    $id, $source, $entity, $file_name, $sha256, $size_bytes, $org_code, $default_org, 'landed',
    $created_by
)
