-- Starts change nothing users made. A tag rule edited in the console stays when the catalogue is
-- loaded again; a newer catalogue rule for it is kept as an offer for the admin (offered_rule).
-- Template versions remember which catalogue version they came from; a catalogue version that
-- arrives after a template was edited in the console is stored as an offer ('pending'), not put
-- in use.

alter table tag add column catalog_rule json;
alter table tag add column rule_edited_by varchar;
alter table tag add column rule_edited_at timestamp;
alter table tag add column offered_rule json;

update tag set catalog_rule = rule;

-- Rules edited before this migration left their trace in the access log.
update tag
set
    rule_edited_by = edits.username,
    rule_edited_at = edits.edited_at
from (
    select
        tag.code,
        arg_max(log.username, log.logged_at) as username,
        max(log.logged_at) as edited_at
    from tag
    inner join access_log as log
        on log.action = 'tag_rule_edit' and contains(log.detail, '（' || tag.code || '）')
    group by tag.code
) as edits
where edits.code = tag.code;

alter table report_template add column catalog_version integer;
alter table report_template add column offer varchar;

update report_template set catalog_version = version where source = 'catalog';
