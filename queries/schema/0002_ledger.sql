-- Ledger history: each change_log row carries the record version its save produced, so a
-- stale editor can be shown exactly what changed since the version they loaded.
alter table change_log add column version integer;

create index change_log_record on change_log (entity, entity_id);
