-- Who is related to some residents: the household head, the spouse (the head's 配偶 or, for
-- the 配偶, the head), the father and mother (linked ids first, else by the household's relation
-- codes: a head's 父亲/母亲, a 子/女's head and the head's 配偶 by sex).
-- params: $ids bigint[]
with
    me as (
        select
            id,
            household_id,
            relation_to_head,
            father_id,
            mother_id
        from resident
        where id in (select unnest($ids::bigint[]))
    ),

    kin as (
        select
            household_id,
            min(id) filter (where relation_to_head = '10') as spouse_id,
            min(id) filter (where relation_to_head = '51') as father_id,
            min(id) filter (where relation_to_head = '52') as mother_id
        from resident
        where status = 'active' and household_id in (select me.household_id from me)
        group by household_id
    )

select
    me.id,
    h.head_id,
    case me.relation_to_head
        when '02' then kin.spouse_id
        when '10' then h.head_id
    end as spouse_id,
    coalesce(
        me.father_id,
        case
            when me.relation_to_head = '02' then kin.father_id
            when me.relation_to_head in ('20', '30') and head.sex = '1' then h.head_id
            when me.relation_to_head in ('20', '30') and head.sex = '2' then kin.spouse_id
        end
    ) as father_id,
    coalesce(
        me.mother_id,
        case
            when me.relation_to_head = '02' then kin.mother_id
            when me.relation_to_head in ('20', '30') and head.sex = '2' then h.head_id
            when me.relation_to_head in ('20', '30') and head.sex = '1' then kin.spouse_id
        end
    ) as mother_id
from me
left join household as h on h.id = me.household_id
left join resident as head on head.id = h.head_id
left join kin on kin.household_id = me.household_id
