-- A whole name typed in the search box is found through this index in milliseconds instead of
-- a scan of every name in the district.
create index if not exists resident_name on resident (name);
