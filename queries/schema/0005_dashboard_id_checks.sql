-- Per-grid counts of ID numbers that disagree with birth date or sex, with the grid's fingerprint
-- (active residents, latest update) they were computed for. Checking every ID is string work on
-- every resident; kept here, a restarted console re-checks only grids that changed since.
create table dashboard_id_check (
    grid_code varchar primary key,
    people integer not null,
    latest varchar,
    birth_mismatch integer not null,
    sex_mismatch integer not null
);
