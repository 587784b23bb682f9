"""The catalogue is cached per catalogue version: every catalogue write bumps it, so a field made
sensitive is masked on the very next page, and nothing writes the catalogue around the version."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from yibiaotong import auth, bootstrap, catalog, config, db, ledger, masking, tag_query
from yibiaotong.config import QUERIES_DIR, ROOT
from yibiaotong.scope import Scope

CATALOG_TABLES = {
    "org_unit",
    "department",
    "code_list",
    "code_item",
    "field_def",
    "tag_category",
    "tag",
}


def catalogue_with(tmp_path: Path, code: str, sensitivity: str) -> Path:
    """A copy of the committed catalogue in which one field has another sensitivity."""
    folder = tmp_path / f"catalog-{sensitivity}"
    shutil.copytree(config.ROOT / "data" / "catalog", folder)
    path = folder / "fields.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    (field,) = [f for fields in data.values() for f in fields if f["code"] == code]
    field["sensitivity"] = sensitivity
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


def shown_addresses(scope, term: str) -> list[tuple[list[int], list[str]]]:
    """(ids, 现住址 shown) of the first page of a ledger search and of a tag query."""
    rows, _ = ledger.search(scope, "resident", term)
    page = tag_query.page(scope, {"entity": "resident", "tags": {"all": ["elderly"]}}, 20, 0)
    return [
        (list(rows["id"]), list(rows["current_address"])),
        (page.attrs["ids"], list(page["现住址"])),
    ]


def addresses_of(ids: list[int]) -> dict[int, str]:
    with db.cursor() as cur:
        rows = cur.execute(
            "select id, current_address from resident where list_contains($ids, id)", {"ids": ids}
        ).fetchall()
    return dict(rows)


def test_a_field_made_sensitive_is_masked_on_the_very_next_page(writable_db, tmp_path):
    # An uncleared caller of the ledger's roles (street leaders do not search the ledger).
    leader = Scope("sw_street", "social_worker", auth.scope_for("leader_zlk").org_code)
    assert not leader.clearance
    with db.cursor() as cur:
        term = cur.execute(
            "select substr(name, 1, 1) from resident where starts_with(grid_code, $o) "
            "and status = 'active' and current_address is not null limit 1",
            {"o": leader.org_code},
        ).fetchone()[0]

    def check(masked: bool) -> None:
        for ids, shown in shown_addresses(leader, term):
            raw = addresses_of(ids)
            assert ids and all(raw[i] for i in ids)
            expect = [masking.mask_text(raw[i]) if masked else raw[i] for i in ids]
            assert shown == expect

    check(masked=False)  # the committed standard shows 现住址; the caches are now warm
    bootstrap.upgrade(catalogue_with(tmp_path, "resident_current_address", "sensitive"))
    check(masked=True)
    bootstrap.upgrade(catalogue_with(tmp_path, "resident_current_address", "internal"))
    check(masked=False)


def test_catalogue_caches_follow_every_catalogue_write(writable_db):
    """A code renamed through the catalogue's own statement shows on the next read; a ledger
    write does not rebuild the catalogue (its version is its own)."""
    before = catalog.code_items("sex")
    version = db.catalog_version()
    with db.transaction() as cur:  # a ledger write batch leaves the catalogue's version alone
        db.bump_data_version(cur)
    assert db.catalog_version() == version
    with db.transaction() as cur:
        db.run(
            cur,
            "catalog/upsert_code_items",
            list_code=["sex"],
            code=["1"],
            name=["男性"],
            sort_order=[1],
        )
    assert db.catalog_version() > version
    assert catalog.code_items("sex") == {**before, "1": "男性"}
    assert tag_query.tags.code_names("sex")["1"] == "男性"


def test_catalogue_writes_outside_a_transaction_are_refused(writable_db):
    defs = catalog.field_defs("resident")
    with db.write_lock, db.cursor() as cur, pytest.raises(RuntimeError, match="db.transaction"):
        db.run(
            cur,
            "catalog/upsert_code_items",
            list_code=["sex"],
            code=["1"],
            name=["男性"],
            sort_order=[1],
        )
    assert catalog.code_items("sex")["1"] == "男"
    assert catalog.field_defs("resident") == defs


def _written_tables(sql: str) -> set[str]:
    """Tables a statement writes, read word by word (the oracle of db.Query.writes)."""
    body = "\n".join(line.split("--")[0] for line in sql.splitlines())
    words = re.findall(r"[A-Za-z_][A-Za-z0-9_]*|[^\sA-Za-z0-9_]", body.lower())
    pairs = {("insert", "into"), ("merge", "into"), ("delete", "from")}
    return {
        words[i + 1]
        for i, word in enumerate(words[:-1])
        if (i and (words[i - 1], word) in pairs) or (word == "update" and words[i + 1] != "set")
    }


QUERY_FILES = sorted(p for p in QUERIES_DIR.rglob("*.sql") if p.parent.name != "schema")


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: str(p.relative_to(QUERIES_DIR)))
def test_every_catalogue_writing_query_is_known(path):
    name = str(path.relative_to(QUERIES_DIR).with_suffix(""))
    assert db.query(name).writes_catalog == bool(_written_tables(path.read_text()) & CATALOG_TABLES)


def test_catalogue_write_detection_on_planted_statements(tmp_path, monkeypatch):
    planted = {
        "a/cte_update": "-- x\n-- params: none\nwith s as (select 1) update field_def set name = 'x'",
        "a/upsert": "-- x\n-- params: none\ninsert into tag_category (code) values ('c') "
        "on conflict (code) do update set code = excluded.code",
        "a/delete": "-- x\n-- params: none\ndelete from code_item where true",
        "a/ledger": "-- x\n-- params: none\ninsert into entity_tag select * from entity_tag",
    }
    for name, sql in planted.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / f"{name}.sql").write_text(sql)
    monkeypatch.setattr(config, "QUERIES_DIR", tmp_path)
    db.query.cache_clear()
    try:
        found = {name: db.query(name).writes_catalog for name in planted}
    finally:
        db.query.cache_clear()
    assert found == {"a/cte_update": True, "a/upsert": True, "a/delete": True, "a/ledger": False}


def test_no_module_writes_the_catalogue_with_inline_sql():
    """Catalogue writes go through queries/ (db.run bumps the version); inline SQL would not."""
    offenders = []
    for path in sorted((ROOT / "yibiaotong").rglob("*.py")):
        for text in re.findall(r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'", path.read_text()):
            if _written_tables(text.strip("\"'")) & CATALOG_TABLES:
                offenders.append(f"{path.name}: {text[:60]}")
    assert offenders == []
