-- The two-character pieces that occur in the search columns of households, houses and shops
-- other than the address (户号; 产权人; 店铺名称 and 法定代表人). A word holding a piece that is not
-- here cannot be in those columns, so its search is the address look-up alone (schema 0180) and
-- skips a scan of 3.5 million 户号 or owner names; a word whose pieces all occur here is also
-- scanned for in those columns. Pieces are only added (ledger.refresh_address_search does it on
-- every write): a piece no value holds any more costs a scan, never a missed record.
create table word_piece (
    entity varchar not null,
    token varchar not null
);

insert into word_piece
select distinct
    words.entity,
    piece.token
from (
    select 'household' as entity, household_no as word from household
    union all
    select 'house' as entity, owner_name as word from house
    union all
    select 'shop' as entity, name as word from shop
    union all
    select 'shop' as entity, legal_person as word from shop
) as words,
    unnest([substr(words.word, i, 2) for i in range(1, length(words.word))]) as piece (token)
where words.word is not null
order by words.entity, piece.token;
