"""Address search through the address tables (schema 0180): every entity's results equal a plain
contains() scan (households, houses and shops: their other search columns too, kept as pieces in
word_piece, schema 0161), the tables follow saves, life events and imports exactly (what a full
rebuild gives), and the migrations build them for an existing database."""

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


def plain(
    scope: Scope, entity: str, term: str, status: str | None = "active", org: str | None = None
) -> list[int]:
    condition = PLAIN[entity]
    return [
        r[0]
        for r in rows_of(
            f"select id from {entity} where starts_with(grid_code, $o) "  # noqa: S608
            f"and ($s is null or status = $s) and ({condition}) order by id",
            {"o": org or scope.org_code, "t": term, "s": status},
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


def word_pieces() -> set[tuple]:
    return set(rows_of("select entity, token from word_piece"))


def word_terms() -> set[str]:
    """Words that are names, 户号 pieces and shop names, and names that look like addresses:
    two characters found both in some address and in some owner's, legal person's or shop's
    name (楼 is a surname and a building), and whole owner names with 楼."""
    both = rows_of(
        "select w.token from word_piece as w where w.entity in ('house', 'shop') "
        "and w.token in (select p.token from address_piece as p) order by w.token limit 6"
    )
    named = rows_of(
        "(select owner_name from house where owner_name like '楼%' order by id limit 2) "
        "union all (select legal_person from shop order by id limit 1) "
        "union all (select name[2:4] from shop order by id limit 1) "
        "union all (select household_no[-8:-2] from household order by id limit 1)"
    )
    return {r[0] for r in both + named}


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


def test_households_houses_and_shops_find_words_where_a_plain_scan_does(use_fixture_db):
    """A word is looked for in the address through the index and in 户号 / 产权人 / 店铺名称 / 法人
    (scanned only when word_piece says they may hold it): the union is exactly the plain scan,
    district-wide, narrowed to a street, for a community's social worker and for every status."""
    scope = district()
    worker = auth.scope_for("sw_tianxian")
    terms = sorted(word_terms() | address_terms(11))
    assert len(terms) > 20
    for entity in ("household", "house", "shop"):
        for term in terms:
            assert found(scope, entity, term) == plain(scope, entity, term), (entity, term)
            assert found(scope, entity, term, status=None) == plain(scope, entity, term, None)
            assert found(scope, entity, term, org_code="330102009") == plain(
                scope, entity, term, org="330102009"
            ), (entity, term)
            assert found(worker, entity, term) == plain(worker, entity, term), (entity, term)
    # Both sides of the union answer somewhere: a name that is also in addresses, on houses.
    with db.cursor() as cur:
        hits = {
            term: (
                ledger._may_hold_word(cur, "house", term),
                bool(plain(scope, "house", term)),
                bool(rows_of("select 1 from house where contains(address, $t)", {"t": term})),
            )
            for term in terms
        }
    assert any(all(h) for h in hits.values()), hits


def busiest_road(entity: str) -> str:
    """The road most records of an entity lie on (a term with many hits)."""
    column = ledger.ADDRESS_COLUMNS[entity]
    return rows_of(
        f"select regexp_extract({column}, '区(.+?[路街巷])', 1) as road "  # noqa: S608
        f"from {entity} where {column} is not null "
        "group by road order by count(*) desc, road limit 1"
    )[0][0]


@pytest.mark.parametrize(("entity", "sort"), [("resident", "id"), ("house", "owner_name")])
def test_address_hits_in_another_order_and_later_pages(use_fixture_db, entity, sort):
    scope = district()
    term = busiest_road(entity)
    expected = plain(scope, entity, term)
    assert len(expected) > 60
    rows, total = ledger.search(scope, entity, term, page=2)
    assert total == len(expected) and list(rows["id"]) == expected[50:100]
    ordered = [
        r[0]
        for r in rows_of(
            f"select id from {entity} where status = 'active' and ({PLAIN[entity]}) "  # noqa: S608
            f"order by {sort} desc nulls last, id",
            {"t": term},
        )
    ]
    rows, total = ledger.search(scope, entity, term, sort=sort, descending=True)
    assert total == len(ordered) and list(rows["id"]) == ordered[:50]


def test_a_term_whose_pieces_are_all_common_is_scanned_with_the_same_result(
    use_fixture_db, monkeypatch
):
    scope = district()
    road = busiest_road("resident")
    indexed = ledger.search(scope, "resident", road, page_size=100_000)
    monkeypatch.setattr(ledger, "ADDRESS_INDEX_LIMIT", 0)  # every piece counts as common
    with db.cursor() as cur:
        assert (
            ledger._settled(cur, ledger._address_attempt("resident", road)).find
            == "ledger/find_resident"
        )
    scanned = ledger.search(scope, "resident", road, page_size=100_000)
    assert list(scanned[0]["id"]) == list(indexed[0]["id"]) == plain(scope, "resident", road)
    for entity in ("household", "house", "shop"):
        with db.cursor() as cur:
            attempt = ledger._settled(cur, ledger._address_attempt(entity, road))
        assert attempt.find == f"ledger/find_{entity}"
        assert found(scope, entity, road) == plain(scope, entity, road)


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


def python_word_pieces() -> set[tuple]:
    """word_piece computed in Python from the columns (the oracle of schema 0161)."""
    values = rows_of(
        "select 'household', household_no from household union all "
        "select 'house', owner_name from house union all "
        "select 'shop', name from shop union all select 'shop', legal_person from shop"
    )
    return {(e, v[i : i + 2]) for e, v in values if v for i in range(len(v) - 1)}


def test_migration_builds_address_tables_for_an_existing_database(tmp_path, monkeypatch):
    """A database made before schemas 0161 and 0180, with a district in it, gets from the
    migrations the links a full rebuild gives and the pieces of 户号 and names, and address
    searches answer straight after."""
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
                if int(file.name[:4]) in (161, 180):
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
        assert {"0161_word_piece", "0180_address_search"} <= set(db.migrate())
        built, pieces = link_rows(), word_pieces()
        assert len(built) > 1500 and pieces == python_word_pieces()
        full_rebuild()
        assert built == link_rows() and pieces == word_pieces()
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


def test_a_household_page_counts_active_members_of_its_households(worker):
    """The 人数 column counts each shown household's active residents, 0 once all moved out."""
    hid, address = rows_of(
        "select h.id, h.address from household as h join resident as r on r.household_id = h.id "
        "where starts_with(h.grid_code, $o) and r.status = 'active' group by h.id, h.address "
        "having count(*) = 1 order by h.id limit 1",
        {"o": worker.org_code},
    )[0]
    person = rows_of(
        "select id from resident where household_id = $h and status = 'active'", {"h": hid}
    )[0][0]
    events.move_out(worker, person, date.today(), "宁波市")
    road = address.split("号")[0]
    rows, _ = ledger.search(worker, "household", road, status=None, page_size=500)
    members = dict(
        rows_of(
            "select household_id, count(*) from resident where status = 'active' "
            "and household_id is not null group by household_id"
        )
    )
    assert hid in set(rows["id"]) and len(rows) > 1
    assert {i: m for i, m in zip(rows["id"], rows["members"], strict=True)} == {
        i: members.get(i, 0) for i in rows["id"]
    }


def field_code(entity: str, column: str) -> str:
    return next(f["code"] for f in ledger.fields(entity) if f["column_name"] == column)


def test_a_house_edited_in_the_ledger_is_found_by_its_new_address_and_owner(worker):
    hid, old_address, owner, version = rows_of(
        "select id, address, owner_name, version from house where starts_with(grid_code, $o) "
        "and status = 'active' order by id limit 1",
        {"o": worker.org_code},
    )[0]
    assert found(worker, "house", old_address) == [hid]
    changes = {
        field_code("house", "address"): "杭州市上城区测试新路92号1幢",
        field_code("house", "owner_name"): "欧阳翠翠",  # pieces no owner's name held before
    }
    assert ("house", "欧阳") not in word_pieces()
    ledger.save(worker, "house", hid, changes, version)
    assert found(worker, "house", "测试新路92号") == [hid]
    assert found(worker, "house", "欧阳翠翠") == [hid]
    assert hid not in found(worker, "house", old_address)
    assert hid not in found(worker, "house", owner)
    for term in ("测试新路92号", "欧阳翠翠", old_address, owner):
        assert found(worker, "house", term) == plain(worker, "house", term), term
    # The tables are what a full rebuild gives; word pieces only grow (a superset stays exact).
    kept, kept_pieces = link_rows(), word_pieces()
    full_rebuild()
    assert kept == link_rows() and word_pieces() <= kept_pieces


def test_a_house_import_and_its_undo_keep_house_search_exact(writable_db):
    """住建 house rows matched by 房屋编号 change a house's address and owner: found under the new
    ones after commit, under the old ones again after undo, the tables as before."""
    admin = auth.scope_for("admin")
    house_no, old_address, owner = rows_of(
        "select house_no, address, owner_name from house where status = 'active' "
        "and grid_code like '330102009%' order by id limit 1"
    )[0]
    header = ["房屋编号", "房屋地址", "产权人"]
    rows = [[house_no, "杭州市上城区回流新路7号2幢", "司马青青"]]
    scope = district()
    before, before_pieces = link_rows(), word_pieces()
    hid = rows_of("select id from house where house_no = $n", {"n": house_no})[0][0]
    batch_id, summary = run_import(admin, csv_file(header, rows), "zhujian_house")
    commit.commit(admin, batch_id)
    assert rows_of("select address, owner_name from house where id = $i", {"i": hid}) == [
        ("杭州市上城区回流新路7号2幢", "司马青青")
    ], summary
    for term in ("回流新路7号", "司马青青", old_address, owner):
        assert found(scope, "house", term) == plain(scope, "house", term), term
    assert found(scope, "house", "司马青青") == found(scope, "house", "回流新路7号") == [hid]
    undo.undo(admin, batch_id)
    assert found(scope, "house", "回流新路7号") == found(scope, "house", "司马青青") == []
    assert hid in found(scope, "house", old_address) and hid in found(scope, "house", owner)
    assert link_rows() == before and word_pieces() >= before_pieces
