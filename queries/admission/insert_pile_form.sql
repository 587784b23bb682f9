-- One form (or one file that could not be read) of a consolidation run.
-- params: $pile_id bigint, $seq integer, $file_name varchar, $sheet varchar, $sha256 varchar, $status varchar, $reason varchar, $title varchar, $entity varchar, $department varchar, $shape json
insert into form_pile_form (
    pile_id, seq, file_name, sheet, sha256, status, reason, title, entity, department, shape
)
values (
    $pile_id, $seq, $file_name, $sheet, $sha256, $status, $reason, $title, $entity, $department,
    $shape
)
