-- Cleaning helpers for 数据回流: check characters of GB 11643 (resident ID) and GB 32100 (USCC),
-- full-width to half-width, and the spreadsheet-formula test of the field standard.
-- Macros live in the database, so every cleaning statement in queries/importing/ can use them.

-- The check character of the first 17 digits of a resident ID number.
create or replace macro yb_id_check(s) as substr(
    '10X98765432',
    1 + (
        (ascii(substr(s, 1, 1)) - 48) * 7 + (ascii(substr(s, 2, 1)) - 48) * 9 + (ascii(substr(s, 3, 1)) - 48) * 10 + (ascii(substr(s, 4, 1)) - 48) * 5 + (ascii(substr(s, 5, 1)) - 48) * 8 + (ascii(substr(s, 6, 1)) - 48) * 4 + (ascii(substr(s, 7, 1)) - 48) * 2 + (ascii(substr(s, 8, 1)) - 48) * 1 + (ascii(substr(s, 9, 1)) - 48) * 6 + (ascii(substr(s, 10, 1)) - 48) * 3 + (ascii(substr(s, 11, 1)) - 48) * 7 + (ascii(substr(s, 12, 1)) - 48) * 9 + (ascii(substr(s, 13, 1)) - 48) * 10 + (ascii(substr(s, 14, 1)) - 48) * 5 + (ascii(substr(s, 15, 1)) - 48) * 8 + (ascii(substr(s, 16, 1)) - 48) * 4 + (ascii(substr(s, 17, 1)) - 48) * 2
    ) % 11,
    1
);

-- The check character of the first 17 characters of a unified social credit code.
create or replace macro yb_uscc_check(s) as substr(
    '0123456789ABCDEFGHJKLMNPQRTUWXY',
    1 + (31 - (
        (instr('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 1, 1)) - 1) * 1 + (instr('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 2, 1)) - 1) * 3 + (instr('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 3, 1)) - 1) * 9 + (instr('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 4, 1)) - 1) * 27 + (instr('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 5, 1)) - 1) * 19 + (instr('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 6, 1)) - 1) * 26 + (instr('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 7, 1)) - 1) * 16 + (instr('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 8, 1)) - 1) * 17 + (instr('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 9, 1)) - 1) * 20 + (instr('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 10, 1)) - 1) * 29 + (instr('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 11, 1)) - 1) * 25 + (instr('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 12, 1)) - 1) * 13 + (instr('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 13, 1)) - 1) * 8 + (instr('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 14, 1)) - 1) * 24 + (instr('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 15, 1)) - 1) * 10 + (instr('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 16, 1)) - 1) * 30 + (instr('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(s, 17, 1)) - 1) * 28
    ) % 31) % 31,
    1
);

-- Full-width digits, letters, spaces and formula signs as their ASCII twins (ＡＢ１２ → AB12).
-- translate() is slow on long lists: only strings holding a full-width character go through it.
create or replace macro yb_halfwidth(s) as case
    when regexp_matches(s, '[\x{3000}\x{ff01}-\x{ff5e}]')
        then translate(
            s,
            '０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ　＋－＝＠',
            '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz +-=@'
        )
    else s
end;

-- White space at either end, as Python's str.strip() sees it, plus zero-width spaces and BOMs.
create or replace macro yb_trim(s) as regexp_replace(
    s,
    '^[\s\x{0b}\x{1c}-\x{1f}\x{85}\x{a0}\x{1680}\x{2000}-\x{200b}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}]+|[\s\x{0b}\x{1c}-\x{1f}\x{85}\x{a0}\x{1680}\x{2000}-\x{200b}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}]+$',
    '',
    'g'
);

-- Text a spreadsheet would run as a formula: = + @ first, or - followed by anything but a plain
-- number (a lone "-" and "-5" stay allowed), as validate.text() refuses it.
create or replace macro yb_formula_like(s) as (
    left(s, 1) in ('=', '+', '@')
    or (
        left(s, 1) = '-'
        and length(s) > 1
        and (
            not regexp_matches(substr(s, 2, 1), '^[0-9]$')
            or regexp_matches(substr(s, 2), '[=+*/^&|!(]')
        )
    )
);

-- An address as a comparison key: half-width, no spaces, no province/city/district prefix, and
-- 栋 / 号楼 written as 幢 (杭州市上城区东坡路159号1栋 and 东坡路159号1幢 are the same place).
create or replace macro yb_address_key(s) as replace(
    replace(
        regexp_replace(
            regexp_replace(yb_halfwidth(s), '\s', '', 'g'),
            '^(浙江省)?(杭州市)?(上城区)?',
            ''
        ),
        '号楼',
        '幢'
    ),
    '栋',
    '幢'
);
