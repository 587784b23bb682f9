-- One street's residents: id number with its GB 11643 check digit, name and pinyin initials,
-- codes consistent with age and role, addresses, and a few moved-out and deceased rows.
-- params: $seed integer, $hh_lo bigint, $hh_hi bigint, $res_lo bigint, $res_hi bigint, $surnames varchar[], $surname_initials varchar[], $given_names varchar[], $given_initials varchar[], $region_names varchar[], $villages varchar[], $foreign_names varchar[], $foreign_initials varchar[], $foreign_nations varchar[], $occupations varchar[], $mobile_prefixes varchar[]
insert into resident (
    id, id_type, id_number, name, name_initials, sex, birth_date, ethnicity, political_status,
    education, marital_status, phone, household_id, relation_to_head, house_id, residence_type,
    hukou_address, current_address, native_place, employment_status, occupation, health_status,
    birth_order, mother_id, father_id, arrival_date, residence_permit_no, move_out_date,
    death_date, grid_code, status, updated_by, attrs
)
with
member as (
    select
        m.*,
        s.r,
        m.age_days // 365 as age,
        year(m.birth_date) as birth_year,
        2 * s.r + if(m.sex = '1', 1, 2) as seq,
        cast(m.region as integer) as p,
        month(m.birth_date) as mo,
        day(m.birth_date) as dd,
        7 * (p // 100000) + 9 * (p // 10000 % 10) + 10 * (p // 1000 % 10) + 5 * (p // 100 % 10)
        + 8 * (p // 10 % 10) + 4 * (p % 10)
        + 2 * (birth_year // 1000) + (birth_year // 100 % 10) + 6 * (birth_year // 10 % 10)
        + 3 * (birth_year % 10) + 7 * (mo // 10) + 9 * (mo % 10) + 10 * (dd // 10) + 5 * (dd % 10)
        + 8 * (seq // 100) + 4 * (seq // 10 % 10) + 2 * (seq % 10) as id_weighted_sum,
        m.region || strftime(m.birth_date, '%Y%m%d') || lpad(seq::varchar, 3, '0')
        || substr('10X98765432', (id_weighted_sum % 11)::integer + 1, 1) as citizen_id,
        1 + demo_rand(m.id, $seed, 65, len($foreign_names)) as foreigner,
        case m.slot
            when 'ya' then demo_rand(m.hh_id, $seed, 60, 1000)
            when 'yb' then demo_rand(m.hh_id, $seed, 61, 1000)
            when 'e1' then case m.link
                when 'ya' then demo_rand(m.hh_id, $seed, 60, 1000)
                when 'yb' then demo_rand(m.hh_id, $seed, 61, 1000)
                else demo_rand(m.hh_id, $seed, 62, 1000)
            end
            when 'e2' then demo_rand(m.hh_id, $seed, 63, 1000)
            when 'm' then demo_rand(m.id, $seed, 64, 1000)
            else case
                when m.has_ya then demo_rand(m.hh_id, $seed, 60, 1000)
                when m.has_yb then demo_rand(m.hh_id, $seed, 61, 1000)
                else demo_rand(m.hh_id, $seed, 62, 1000)
            end
        end + 1 as surname,
        (
            (m.sex::integer - 1) * 3
            + case when birth_year < 1965 then 0 when birth_year < 1995 then 1 else 2 end
        ) * (len($given_names) // 6)
        + demo_rand(m.id, $seed, 66, len($given_names) // 6) + 1 as given,
        age between 18 and 22
        and demo_rand(m.id, $seed, 67, 100) < if(m.is_floating, 35, 75) as student,
        least(99, demo_rand(m.id, $seed, 68, 100) + if(m.is_floating, 20, 0)) as edu_roll,
        demo_rand(m.id, $seed, 69, 1000) as party_roll,
        demo_rand(m.id, $seed, 70, 100) as marital_roll,
        demo_rand(m.id, $seed, 71, 100) as work_roll,
        demo_rand(m.id, $seed, 72, 1000)
        < case when age < 60 then 12 when age < 80 then 35 else 90 end as disabled,
        m.idx > 0 and age >= 70 and demo_rand(m.id, $seed, 73, 1000) < 40 as deceased,
        m.idx > 0 and not deceased and age between 18 and 45
        and demo_rand(m.id, $seed, 74, 1000) < 25 as moved_out
    from demo_members($seed) as m
    left join demo_seq as s on m.id = s.id and s.id between $res_lo and $res_hi
    where m.hh_id between $hh_lo and $hh_hi
),

coded as (
    select
        *,
        case
            when age < 6 then null
            when age < 12 then '80'
            when age < 15 then '70'
            when age < 18 then if(edu_roll < 75, '60', '40')
            when student then if(edu_roll < 60, '20', '30')
            when age < 23 then case
                when edu_roll < 20 then '30'
                when edu_roll < 45 then '40'
                when edu_roll < 85 then '60'
                else '70'
            end
            when birth_year >= 1985 then case
                when edu_roll < 12 then '10'
                when edu_roll < 50 then '20'
                when edu_roll < 72 then '30'
                when edu_roll < 80 then '40'
                when edu_roll < 90 then '60'
                when edu_roll < 98 then '70'
                else '80'
            end
            when birth_year >= 1965 then case
                when edu_roll < 4 then '10'
                when edu_roll < 20 then '20'
                when edu_roll < 36 then '30'
                when edu_roll < 46 then '40'
                when edu_roll < 68 then '60'
                when edu_roll < 92 then '70'
                else '80'
            end
            else case
                when edu_roll < 1 then '10'
                when edu_roll < 6 then '20'
                when edu_roll < 12 then '30'
                when edu_roll < 18 then '40'
                when edu_roll < 40 then '60'
                when edu_roll < 70 then '70'
                when edu_roll < 94 then '80'
                else '90'
            end
        end as education,
        if(education in ('10', '20'), 260, 110) as party_share,
        case
            when age < 14 then '13'
            when age < 29 then case
                when party_roll < 450 then '03'
                when party_roll < 490 and age >= 18 then '01'
                else '13'
            end
            when party_roll < party_share then '01'
            when party_roll < party_share + 3 then '02'
            when party_roll < party_share + 9 then lpad((4 + party_roll % 8)::varchar, 2, '0')
            when party_roll < party_share + 13 then '12'
            else '13'
        end as political_status,
        case
            when age < 20 then '10'
            when slot in ('ya', 'yb') and has_ya and has_yb then '20'
            when slot in ('e1', 'e2') and has_e1 and has_e2 then '20'
            when slot in ('e1', 'e2') then case
                when marital_roll < 75 then '30'
                when marital_roll < 90 then '40'
                when marital_roll < 95 then '10'
                else '20'
            end
            when slot in ('ya', 'yb') and nk > 0 then if(marital_roll < 65, '40', '30')
            when slot in ('ya', 'yb') and age < 30 then if(marital_roll < 92, '10', '40')
            when slot in ('ya', 'yb') and age < 45 then case
                when marital_roll < 60 then '10'
                when marital_roll < 95 then '40'
                else '30'
            end
            when slot in ('ya', 'yb') then case
                when marital_roll < 25 then '10'
                when marital_roll < 75 then '40'
                else '30'
            end
            when slot = 'm' then if(marital_roll < if(age < 25, 90, 50), '10', '20')
            when age < 28 then if(marital_roll < 95, '10', '40')
            when marital_roll < 70 then '10'
            when marital_roll < 90 then '40'
            else '20'
        end as marital_status,
        case
            when age < 6 then '50'
            when age < 18 or student then '40'
            when age >= 60 then case when work_roll < 88 then '20' when work_roll < 95 then '10' else '90' end
            when sex = '2' and age >= 50 and work_roll < 55 then '20'
            when work_roll < 86 then '10'
            when work_roll < 90 then '30'
            else '90'
        end as employment_status,
        case
            when disabled then '3'
            when demo_rand(id, $seed, 75, 100) < case when age < 60 then 88 when age < 80 then 55 else 25 end then '1'
            when demo_rand(id, $seed, 75, 100) < case when age < 60 then 98 when age < 80 then 94 else 85 end then '2'
            else '4'
        end as health_status
    from member
)

select
    id,
    if(is_foreign, '04', '01') as id_type,
    if(
        is_foreign,
        substr('EGKMPST', 1 + demo_rand(id, $seed, 76, 7), 1) || lpad((id % 100000000)::varchar, 8, '0'),
        citizen_id
    ) as id_number,
    if(is_foreign, $foreign_names[foreigner], $surnames[surname] || $given_names[given]) as name,
    if(
        is_foreign,
        $foreign_initials[foreigner],
        $surname_initials[surname] || $given_initials[given]
    ) as name_initials,
    sex,
    birth_date,
    case
        when is_foreign then null
        when demo_rand(id, $seed, 77, 1000) < 970 then '01'
        else ['03', '06', '08', '11', '15', '22', '10', '12'][1 + demo_rand(id, $seed, 78, 8)]
    end as ethnicity,
    if(is_foreign, null, political_status) as political_status,
    education,
    marital_status,
    case
        when age >= 16 and demo_rand(id, $seed, 79, 100) < if(age >= 80, 55, 92)
            then $mobile_prefixes[1 + demo_rand(id, $seed, 80, len($mobile_prefixes))]
            || lpad(demo_rand(id, $seed, 81, 100000000)::varchar, 8, '0')
    end as phone,
    hh_id as household_id,
    relation as relation_to_head,
    house_id,
    case when is_foreign then '3' when is_floating then '2' else '1' end as residence_type,
    case
        when is_foreign then null
        when is_floating then $region_names[1 + region_idx] || $villages[1 + demo_rand(hh_id, $seed, 82, len($villages))]
        else '浙江省' || address
    end as hukou_address,
    address as current_address,
    case
        when is_foreign then $foreign_nations[foreigner]
        when is_floating then $region_names[1 + region_idx]
        else '浙江省杭州市'
    end as native_place,
    employment_status,
    if(employment_status = '10', $occupations[1 + demo_rand(id, $seed, 83, len($occupations))], null)
        as occupation,
    health_status,
    birth_order,
    mother_id,
    father_id,
    if(is_floating or is_foreign, greatest(arrival_date, birth_date), null) as arrival_date,
    case
        when is_floating and age >= 16 and arrival_date <= current_date - 180
            and demo_rand(id, $seed, 84, 100) < 75
            then '330102' || strftime(arrival_date, '%Y') || lpad(id::varchar, 10, '0')
    end as residence_permit_no,
    if(moved_out, current_date - cast(1 + demo_rand(id, $seed, 85, 1500) as integer), null)
        as move_out_date,
    if(deceased, current_date - cast(1 + demo_rand(id, $seed, 86, 1000) as integer), null)
        as death_date,
    grid_code,
    case when deceased then 'deceased' when moved_out then 'moved_out' else 'active' end as status,
    'demo' as updated_by,
    if(is_foreign, json_object('nationality', $foreign_nations[foreigner]), null) as attrs
from coded
