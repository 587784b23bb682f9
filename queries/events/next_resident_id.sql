-- Next resident id (max + 1), read under the write lock of the event's transaction.
-- params: none
select coalesce(max(id), 0) + 1 from resident
