-- Import tags of the generated residents, as data backflow would bring them: 低保 (whole
-- households), 特困 (people on their own), 残疾人 (health status 3), 退役军人 (adult men).
-- Tags missing from the taxonomy are skipped by the join.
-- params: $seed integer, $resident_base bigint
insert into entity_tag (entity, entity_id, tag_id, source, assigned_by)
with
generated as (
    select *
    from resident
    where id > $resident_base and status = 'active'
),

tagged as (
    select
        id,
        'disabled' as code
    from generated
    where health_status = '3'
    union all
    select
        id,
        'dibao' as code
    from generated
    where residence_type = '1' and demo_rand(household_id, $seed, 130, 1000) < 10
    union all
    select
        id,
        'tekun' as code
    from generated
    where
        residence_type = '1'
        and relation_to_head = '02'
        and (birth_date <= current_date - interval 60 years or health_status = '3')
        and demo_rand(id, $seed, 131, 1000) < 25
        and household_id in (select hh_id from demo_hh where members = 1)
    union all
    select
        id,
        'veteran' as code
    from generated
    where
        sex = '1'
        and residence_type in ('1', '2')
        and birth_date <= current_date - interval 20 years
        and demo_rand(id, $seed, 132, 1000) < 10
)

select
    'resident' as entity,
    tagged.id as entity_id,
    t.id as tag_id,
    'import' as source,
    'demo' as assigned_by
from tagged
inner join tag as t on tagged.code = t.code
