-- A pending catalogue version of a template is settled: 'adopted' (a copy became the newest
-- version in use) or 'declined'.
-- params: $code varchar, $version integer, $offer varchar
update report_template
set offer = $offer
where code = $code and version = $version and offer = 'pending'
returning definition, catalog_version
