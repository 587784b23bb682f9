-- The two-character pieces of these records' non-address search columns ({words}, a list of
-- {entity_table} columns; all records when $ids is null) that word_piece lacks (schema 0161).
-- params: $entity varchar, $ids bigint[]
insert into word_piece
select distinct
    $entity as entity,
    piece.token
from (
    select unnest({words}) as word
    from {entity_table} as e
    where $ids is null or e.id in (select unnest($ids))
) as words,
    unnest([substr(words.word, i, 2) for i in range(1, length(words.word))]) as piece (token)
where
    words.word is not null
    and not exists (
        select 1 from word_piece as w
        where w.entity = $entity and w.token = piece.token
    )
