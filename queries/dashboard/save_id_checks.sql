-- Store freshly computed ID-check counts of some grids (parallel lists, one entry per grid).
-- params: $grids varchar[], $people integer[], $latest varchar[], $births integer[], $sexes integer[]
insert into dashboard_id_check (grid_code, people, latest, birth_mismatch, sex_mismatch)
select
    unnest($grids),
    unnest($people),
    unnest($latest),
    unnest($births),
    unnest($sexes)
on conflict (grid_code) do update set
    people = excluded.people,
    latest = excluded.latest,
    birth_mismatch = excluded.birth_mismatch,
    sex_mismatch = excluded.sex_mismatch
