-- The confirmed mapping of a batch: column (0-based), its header, target and how to clean it.
-- params: $batch_id varchar, $cols integer[], $headers varchar[], $targets varchar[], $kinds varchar[], $code_lists varchar[], $max_lengths integer[]
insert into import_map (batch_id, col, header, target, kind, code_list, max_length)
select
    $batch_id,
    unnest($cols),
    unnest($headers),
    unnest($targets),
    unnest($kinds),
    unnest($code_lists),
    unnest($max_lengths)
