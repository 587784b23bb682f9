"""Address search through the address tables (schema 0180): every entity's results equal a plain
contains() scan, the tables follow saves, life events and imports exactly (what a full rebuild
gives), and the migration builds them for an existing database."""

from __future__ import annotations

import random
from datetime import date

import pytest
from test_import_engine import csv_file, house_address, new_person, run_import

from yibiaotong import auth, catalog, db, demo, events, ledger
from yibiaotong.importing import commit, undo
from yibiaotong.scope import Scope

# What the search box means for a word on each entity, in plain SQL (the oracle): the columns
# the word is looked for in, the address among them.
PLAIN = {
    "resident": "contains(current_address, $t)",
    "household": "contains(address, $t) or contains(household_no, $t)",
    "house": "contains(address, $t) or contains(owner_name, $t)",
    "shop": "contains(name, $t) or contains(address, $t) or contains(legal_person, $t)",
}


def district() -> Scope:
    return Scope("test", "district_admin", "330102", clearance=True)


def rows_of(sql: str, params: dict | None = None) -> list[tuple]:
    with db.cursor() as cur:
        return cur.execute(sql, params or {}).fetchall()


def found(scope: Scope, entity: str, term: str, **kw) -> list[int]:
    rows, total = ledger.search(scope, entity, term, page_size=100_000, **kw)
    assert total == len(rows)
    return list(rows["id"])


def plain(scope: Scope, entity: str, term: str, status: str = "active") -> list[int]:
    condition = PLAIN[entity]
    return [
        r[0]
        for r in rows_of(
            f"select id from {entity} where starts_with(grid_code, $o) and status = $s "  # noqa: S608
            f"and ({condition}) order by id",
            {"o": scope.org_code, "t": term, "s": status},
        )
    ]


def address_terms(seed: int) -> set[str]:
    """Pieces of real addresses as people type them: a road, a number with 号, 幢 / 单元 / 室, a
    run across words, one character, and pieces nobody's address holds."""
    addresses = [
        r[0]
        for r in rows_of(
            "select address from house union select address from shop "
            "union select current_address from resident where current_address is not null "
            "order by 1"
        )
    ]
    pick = random.Random(seed)
    terms = {"不存在的地址", "幢幢"}
    for address in pick.sample(addresses, 12):
        start = pick.randrange(len(address) - 1)
        terms.add(address[start : start + pick.choice((1, 2, 3, 5, 8))])
        terms.add(address.split("号")[0][-5:] + "号")
        terms.add(address[-6:])
    return terms


def link_rows() -> list[tuple]:
    return rows_of("select * from address_link order by all")


def full_rebuild() -> None:
    with db.transaction() as cur:
        for entity in ledger.ADDRESS_COLUMNS:
            ledger.refresh_address_search(cur, entity, None)


@pytest.fixture
def worker(writable_db) -> Scope:
    return auth.scope_for("sw_tianxian")


def test_every_entity_finds_by_address_what_a_plain_scan_finds(use_fixture_db):
    scope = district()
    for term in sorted(address_terms(7)):
        # Words are names before addresses for residents; these terms name nobody.
        if not rows_of(
            "select 1 from resident where contains(upper(name), upper($t))", {"t": term}
        ):
            assert found(scope, "resident", term) == plain(scope, "resident", term), term
        for entity in ("household", "house", "shop"):
            assert found(scope, entity, term) == plain(scope, entity, term), (entity, term)
    street = Scope("test", "social_worker", "330102009", clearance=True)  # the ledger's roles
    term = rows_of("select current_address from resident where grid_code like '330102009%' limit 1")
    term = term[0][0][6:12]
    assert found(street, "resident", term) == plain(street, "resident", term)
    assert found(street, "resident", term, status=None) == sorted(
        r[0]
        for r in rows_of(
            "select id from resident where grid_code like '330102009%' "
            "and contains(current_address, $t)",
            {"t": term},
        )
    )


def test_address_hits_in_another_order_and_later_pages(use_fixture_db):
    scope = district()
    term = rows_of(  # the road most residents live on
        "select regexp_extract(current_address, '区(.+?[路街巷])', 1) as road from resident "
        "where current_address is not null group by road order by count(*) desc, road limit 1"
    )[0][0]
    expected = plain(scope, "resident", term)
    assert len(expected) > 60
    rows, total = ledger.search(scope, "resident", term, page=2)
    assert total == len(expected) and list(rows["id"]) == expected[50:100]
    rows, _ = ledger.search(scope, "resident", term, sort="id", descending=True)
    assert list(rows["id"]) == expected[::-1][:50]


def test_a_term_whose_pieces_are_all_common_is_scanned_with_the_same_result(
    use_fixture_db, monkeypatch
):
    scope = district()
    road = rows_of(
        "select regexp_extract(current_address, '区(.+?[路街巷])', 1) as road from resident "
        "where current_address is not null group by road order by count(*) desc, road limit 1"
    )[0][0]
    indexed = ledger.search(scope, "resident", road, page_size=100_000)
    monkeypatch.setattr(ledger, "ADDRESS_INDEX_LIMIT", 0)  # every piece counts as common
    with db.cursor() as cur:
        assert ledger._settled(cur, ledger._address_attempt(road)).find == "ledger/find_resident"
    scanned = ledger.search(scope, "resident", road, page_size=100_000)
    assert list(scanned[0]["id"]) == list(indexed[0]["id"]) == plain(scope, "resident", road)


def test_address_tables_follow_saves_life_events_and_imports(worker):
    rid, version = rows_of(
        "select id, version from resident where starts_with(grid_code, $o) and status = 'active' "
        "and current_address is not null order by id limit 1",
        {"o": worker.org_code},
    )[0]
    new_address = "杭州市上城区测试新路88号3幢2单元501室"
    assert not found(worker, "resident", "测试新路88号")
    ledger.save(worker, "resident", rid, {"resident_current_address": new_address}, version)
    assert found(worker, "resident", "测试新路88号") == [rid]
    assert found(worker, "resident", "新路88号3幢") == [rid]
    # A household's address edited in the ledger is found under its new address only.
    hid, old, hversion = rows_of(
        "select id, address, version from household where starts_with(grid_code, $o) "
        "and status = 'active' and address is not null order by id limit 1",
        {"o": worker.org_code},
    )[0]
    code = next(f["code"] for f in ledger.fields("household") if f["column_name"] == "address")
    ledger.save(worker, "household", hid, {code: "杭州市上城区测试新路90号"}, hversion)
    assert found(worker, "household", "测试新路90") == [hid]
    assert hid not in found(worker, "household", old)
    # A resident who moves out leaves the active results and is found among 已迁出.
    events.move_out(worker, rid, date.today(), "宁波市")
    assert found(worker, "resident", "测试新路88号") == []
    assert found(worker, "resident", "测试新路88号", status="moved_out") == [rid]
    # After these writes the tables are what a full rebuild gives.
    kept = link_rows()
    full_rebuild()
    assert kept == link_rows()


def test_an_import_and_its_undo_keep_address_search_exact(writable_db):
    admin = auth.scope_for("admin")
    person = rows_of(
        "select name, id_number, current_address from resident where id_type = '01' "
        "and status = 'active' and grid_code like '330102009%' order by id limit 1"
    )[0]
    address, _ = house_address("330102009")
    moved = person[2] + "东"
    header = ["姓名", "身份证号", "现住址", "户号", "与户主关系"]
    rows = [
        [person[0], person[1], moved, "", ""],
        ["回流新人", new_person(31), address, "HL-2026-001", "户主"],
    ]
    scope = district()
    before = link_rows()
    at_house = plain(scope, "resident", address)
    batch_id, _ = run_import(admin, csv_file(header, rows), "minzheng_assistance")
    commit.commit(admin, batch_id)
    newcomer = rows_of("select id from resident where name = '回流新人'")[0][0]
    household = rows_of("select id from household where household_no = 'HL-2026-001'")[0][0]
    assert found(scope, "resident", address) == sorted([*at_house, newcomer])
    assert household in found(scope, "household", address)
    for term in (address, moved, person[2]):
        assert found(scope, "resident", term) == plain(scope, "resident", term), term
        assert found(scope, "household", term) == plain(scope, "household", term), term
    kept = link_rows()
    full_rebuild()
    assert kept == link_rows()
    undo.undo(admin, batch_id)
    assert found(scope, "resident", address) == at_house
    assert household not in found(scope, "household", address, status=None)
    assert link_rows() == before


def test_migration_builds_address_tables_for_an_existing_database(tmp_path, monkeypatch):
    """A database made before schema 0180, with a district in it, gets from the migration the
    links a full rebuild gives, and address searches answer straight after."""
    path = tmp_path / "old.duckdb"
    monkeypatch.setenv("YIBIAOTONG_DB", str(path))
    db.close_all()
    try:
        with db.write_lock, db.cursor() as cur:
            cur.execute(
                "create table schema_version (version integer primary key, name varchar "
                "not null, applied_at timestamp not null default current_timestamp)"
            )
            for file in db.migrations():
                if int(file.name[:4]) == 180:
                    continue
                cur.execute(file.read_text(encoding="utf-8"))
                cur.execute(
                    "insert into schema_version (version, name) values ($v, $n)",
                    {"v": int(file.name[:4]), "n": file.stem},
                )
        with db.transaction() as cur:
            catalog.load_catalog(cur)
        with db.write_lock, db.cursor() as cur:
            demo.generate(cur, 1500)
        assert "0180_address_search" in db.migrate()
        built = link_rows()
        assert len(built) > 1500
        full_rebuild()
        assert built == link_rows()
        scope = district()
        for term in sorted(address_terms(3)):
            for entity in ("household", "house", "shop"):
                assert found(scope, entity, term) == plain(scope, entity, term), (entity, term)
    finally:
        db.close_all()


def test_households_are_found_by_their_heads_initials_and_by_words(use_fixture_db):
    scope = district()
    initials = rows_of(
        "select r.name_initials from household as h join resident as r on r.id = h.head_id "
        "where h.status = 'active' and length(r.name_initials) = 3 order by h.id limit 1"
    )[0][0]
    expected = [
        r[0]
        for r in rows_of(
            "select h.id from household as h join resident as r on r.id = h.head_id "
            "where h.status = 'active' and starts_with(r.name_initials, $i) order by h.id",
            {"i": initials},
        )
    ]
    assert expected
    assert found(scope, "household", initials) == expected
    term = rows_of("select address from household where status = 'active' order by id limit 1")
    term = term[0][0][6:12]
    assert found(scope, "household", term) == plain(scope, "household", term)
