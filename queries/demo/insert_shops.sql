-- Street-front shops of every grid, each with a valid GB 32100 统一社会信用代码 (its organisation
-- code carrying the GB 11714 check character) and a local household head as legal person.
-- params: $seed integer, $shop_categories varchar[], $shop_category_pick integer[], $shop_suffixes varchar[][], $shop_prefixes varchar[], $mobile_prefixes varchar[]
insert into shop (
    id, name, uscc, category, legal_person, legal_person_id_number, phone, address, area_sqm,
    employees, opened_on, closed_on, inspection_status, fire_check_date, three_guarantees,
    house_id, grid_code, status, updated_by
)
with
slot as (
    select
        grid_code,
        road,
        locals,
        local_lo,
        shop_lo,
        unnest(range(shop_count)) as n
    from demo_grid_stat
),

shop as (
    select
        s.shop_lo + s.n as id,
        s.grid_code,
        s.road,
        s.n,
        if(s.locals = 0, null, s.local_lo + demo_rand(id, $seed, 100, s.locals)) as owner_local_cum,
        1 + $shop_category_pick[1 + demo_rand(id, $seed, 101, len($shop_category_pick))] as category,
        current_date - cast(
            30 + least(demo_rand(id, $seed, 102, 9000), demo_rand(id, $seed, 103, 9000)) as integer
        ) as opened_on,
        demo_rand(id, $seed, 104, 100) < 8 as closed,
        if(demo_rand(id, $seed, 105, 100) < 75, '92', '91') as kind,
        -- Alphabet positions of the organisation code: MA2xxxxx for registrations since 2016,
        -- 8 digits before; both are a bijection of the id, so codes never repeat.
        if(
            opened_on >= date '2016-01-01',
            [21, 10, 2]
            || list_transform(
                [4, 3, 2, 1, 0], lambda e: (id * 48271 % 28629151) // (31 ** e)::bigint % 31
            ),
            list_transform(
                [7, 6, 5, 4, 3, 2, 1, 0],
                lambda e: (id * 48271 % 100000000) // (10 ** e)::bigint % 10
            )
        ) as body
    from slot as s
),

organisation as (
    select
        *,
        array_to_string(
            list_transform(body, lambda c: '0123456789ABCDEFGHJKLMNPQRTUWXY'[c + 1]), ''
        ) as body_text,
        -- GB 11714 values: digits as such, letters A = 10 … Z = 35.
        list_sum(
            list_transform(
                body,
                lambda c, i: if(c < 10, c, ascii('0123456789ABCDEFGHJKLMNPQRTUWXY'[c + 1]) - 55)
                * [3, 7, 9, 10, 5, 8, 4, 2][i]
            )
        )::bigint as organisation_sum
    from shop
),

coded as (
    select
        *,
        kind || '330102' || body_text
        || case 11 - organisation_sum % 11
            when 10 then 'X'
            when 11 then '0'
            else (11 - organisation_sum % 11)::varchar
        end as code17
    from organisation
),

checked as (
    select
        *,
        list_sum(
            list_transform(
                string_split(code17, ''),
                lambda ch, i: (instr('0123456789ABCDEFGHJKLMNPQRTUWXY', ch) - 1)
                * [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28][i]
            )
        )::bigint as uscc_sum
    from coded
)

select
    shop.id,
    $shop_prefixes[1 + demo_rand(shop.id, $seed, 106, len($shop_prefixes))]
    || $shop_suffixes[shop.category][
        1 + demo_rand(shop.id, $seed, 107, len($shop_suffixes[shop.category]))
    ] as name,
    shop.code17 || '0123456789ABCDEFGHJKLMNPQRTUWXY'[(31 - shop.uscc_sum % 31) % 31 + 1] as uscc,
    $shop_categories[shop.category] as category,
    r.name as legal_person,
    r.id_number as legal_person_id_number,
    if(
        demo_rand(shop.id, $seed, 108, 100) < 70,
        $mobile_prefixes[1 + demo_rand(shop.id, $seed, 109, len($mobile_prefixes))]
        || lpad(demo_rand(shop.id, $seed, 110, 100000000)::varchar, 8, '0'),
        '0571-8' || lpad(demo_rand(shop.id, $seed, 111, 10000000)::varchar, 7, '0')
    ) as phone,
    '杭州市上城区' || shop.road || (2 + 2 * shop.n + 200 * demo_rand(shop.grid_code, $seed, 112, 4))
    || '号' as address,
    ((1000 + demo_rand(shop.id, $seed, 113, 19000)) / 100)::decimal(8, 2) as area_sqm,
    1 + least(demo_rand(shop.id, $seed, 114, 15), demo_rand(shop.id, $seed, 115, 15)) as employees,
    shop.opened_on,
    if(
        shop.closed,
        shop.opened_on
        + cast(demo_rand(shop.id, $seed, 116, greatest(current_date - shop.opened_on, 1)) as integer),
        null
    ) as closed_on,
    case
        when demo_rand(shop.id, $seed, 117, 100) < 70 then '1'
        when demo_rand(shop.id, $seed, 117, 100) < 90 then '2'
        else '3'
    end as inspection_status,
    if(
        demo_rand(shop.id, $seed, 118, 100) < 85,
        current_date - cast(demo_rand(shop.id, $seed, 119, 700) as integer),
        null
    ) as fire_check_date,
    demo_rand(shop.id, $seed, 120, 100) < 88 as three_guarantees,
    null as house_id,
    shop.grid_code,
    if(shop.closed, 'closed', 'active') as status,
    'demo' as updated_by
from checked as shop
left join demo_hh as h on shop.owner_local_cum = h.local_cum and h.is_local
left join resident as r on h.res_first_id = r.id
