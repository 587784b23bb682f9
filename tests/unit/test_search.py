"""Ledger search: names that look like addresses, every route against plain SQL, tokens that follow
every write, and the migration that builds them for an existing database."""

from __future__ import annotations

import random
from datetime import date

import pytest

from yibiaotong import auth, catalog, db, demo, events, ledger
from yibiaotong.scope import Scope

# Real surnames and given-name characters that are also address words (楼 is common in Hangzhou;
# 单 区 苑 are surnames too), compound surnames, and numeral-like given names.
ADDRESS_LIKE_NAMES = (
    "楼雪婷",
    "楼建国",
    "单丽园",
    "区志村",
    "苑文区",
    "欧阳梦苑",
    "司马村生",
    "诸葛园园",
    "王一",
    "解放",
)


def district() -> Scope:
    return Scope("test", "district_admin", "330102", clearance=True)


def rows_of(sql: str, params: dict | None = None) -> list[tuple]:
    with db.cursor() as cur:
        return cur.execute(sql, params or {}).fetchall()


def all_ids(scope: Scope, term: str, **kw) -> list[int]:
    rows, total = ledger.search(scope, "resident", term, page_size=100_000, **kw)
    assert total == len(rows)
    return list(rows["id"])


def expected_ids(org: str, term: str) -> list[int]:
    """The documented meaning of a word in the search box, computed in plain SQL: residents with
    exactly that name; else whose name contains it; else whose address contains it."""
    for condition in (
        "name = $t",
        "contains(upper(name), upper($t))",
        "contains(current_address, $t)",
    ):
        found = [
            r[0]
            for r in rows_of(
                f"select id from resident where starts_with(grid_code, $o) and status = 'active' "  # noqa: S608
                f"and {condition} order by id",
                {"o": org, "t": term},
            )
        ]
        if found:
            return found
    return []


def rename_residents(scope: Scope, names: tuple[str, ...]) -> dict[str, int]:
    """Give some residents of the scope these names through the ledger's own save."""
    people = rows_of(
        "select id, version from resident where starts_with(grid_code, $o) and status = 'active' "
        "order by id desc limit $n",
        {"o": scope.org_code, "n": len(names)},
    )
    renamed = {}
    for name, (rid, version) in zip(names, people, strict=True):
        ledger.save(scope, "resident", rid, {"resident_name": name}, version)
        renamed[name] = rid
    return renamed


@pytest.fixture
def worker(writable_db) -> Scope:
    return auth.scope_for("sw_tianxian")


def test_names_that_look_like_addresses_are_found_whole_and_in_part(worker):
    renamed = rename_residents(worker, ADDRESS_LIKE_NAMES)
    for name, rid in renamed.items():
        for term in {name, name[:2], name[1:], name[-2:]}:
            found = all_ids(worker, term)
            assert rid in found, (name, term)
            assert found == expected_ids(worker.org_code, term), term
    # A district-wide search finds them too, and an address still finds its residents.
    for name, rid in renamed.items():
        assert rid in all_ids(district(), name)
    address = rows_of(
        "select current_address from resident where starts_with(grid_code, $o) "
        "and status = 'active' and current_address is not null limit 1",
        {"o": worker.org_code},
    )[0][0]
    street_part = address[-8:]
    assert all_ids(worker, street_part) == expected_ids(worker.org_code, street_part)
    assert all_ids(worker, street_part)


def test_every_word_route_agrees_with_plain_sql_on_real_names(worker):
    """Random pieces of real names (one to four characters, from surnames and given names),
    road names and address pieces give exactly the residents plain SQL gives."""
    names = [r[0] for r in rows_of("select distinct name from resident order by name")]
    pick = random.Random(12)
    terms = set()
    for name in pick.sample(names, 25):
        start = pick.randrange(len(name))
        terms.add(name[start : start + pick.choice((1, 2, 3))])
        terms.add(name)
    terms |= {"楼", "陈子", "凤起路", "解放路", "不存在的名字"}
    for scope in (worker, district()):
        for term in sorted(terms):
            assert all_ids(scope, term) == expected_ids(scope.org_code, term), term


def test_foreign_names_typed_in_lower_case_are_found_after_initials(worker):
    foreigner = rows_of("select id, name from resident where name like '% %' limit 1")
    assert foreigner, "the demo district has foreign residents"
    rid, name = foreigner[0]
    surname = name.split()[0].lower()
    assert rid in all_ids(district(), surname, status=None)


def test_number_tails_agree_with_plain_sql(worker):
    rec = rows_of(
        "select id_number, phone from resident where starts_with(grid_code, $o) "
        "and status = 'active' and phone is not null and id_type = '01' limit 1",
        {"o": worker.org_code},
    )[0]
    id_number, phone = rec
    in_scope = "starts_with(grid_code, $o) and status = 'active'"

    def sql_ids(condition: str, term: str) -> list[int]:
        return [
            r[0]
            for r in rows_of(
                f"select id from resident where {in_scope} and {condition} order by id",  # noqa: S608
                {"o": worker.org_code, "t": term},
            )
        ]

    assert all_ids(worker, phone) == sql_ids("phone = $t", phone)
    assert all_ids(worker, phone[-4:]) == sql_ids("ends_with(phone, $t)", phone[-4:])
    for n in (5, 6, 18):
        term = id_number[-n:]
        assert all_ids(worker, term) == sql_ids("ends_with(id_number, $t)", term), n
    # Four digits nobody's phone ends with fall through to 身份证后四位.
    unused = next(
        f"{i:04d}"
        for i in range(10_000)
        if not sql_ids("ends_with(phone, $t)", f"{i:04d}")
        and sql_ids("ends_with(id_number, $t)", f"{i:04d}")
    )
    assert all_ids(worker, unused) == sql_ids("ends_with(id_number, $t)", unused)


def test_token_hits_sorted_by_another_column_keep_that_order(worker):
    scope = district()
    term = rows_of(
        "select substr(name, 2, 2) from resident where length(name) = 3 "
        "group by 1 order by count(*) desc limit 1"
    )[0][0]

    def sql_page(order: str, offset: int = 0) -> list[int]:
        return [
            r[0]
            for r in rows_of(
                "select id from resident where status = 'active' and contains(name, $t) "
                f"order by {order} limit 50 offset {offset}",  # noqa: S608
                {"t": term},
            )
        ]

    by_birth = sql_page("birth_date desc nulls last, id")
    assert by_birth != sorted(by_birth)  # the order asked for is not register order
    rows, _ = ledger.search(scope, "resident", term, sort="birth_date", descending=True)
    assert list(rows["id"]) == by_birth
    rows, _ = ledger.search(scope, "resident", term, sort="id", descending=True, page=2)
    assert list(rows["id"]) == sql_page("id desc", 50)


def token_rows() -> list[tuple]:
    return rows_of("select * from resident_search_token order by all")


def test_tokens_follow_saves_and_life_events_exactly(worker):
    rid = rename_residents(worker, ("楼雪婷",))["楼雪婷"]
    record = ledger.get(worker, "resident", rid)
    ledger.save(worker, "resident", rid, {"resident_phone": "13905710123"}, record["version"])
    assert all_ids(worker, "0123") and rid in all_ids(worker, "13905710123")
    record = ledger.get(worker, "resident", rid)
    ledger.save(worker, "resident", rid, {"resident_name": "单小苑"}, record["version"])
    assert rid not in all_ids(worker, "雪婷") and rid in all_ids(worker, "小苑")
    other = rows_of(
        "select id from resident where starts_with(grid_code, $o) and status = 'active' "
        "and household_id is not null and id <> $r and id not in "
        "(select head_id from household where head_id is not null) limit 1",
        {"o": worker.org_code, "r": rid},
    )[0][0]
    events.move_out(worker, other, date.today(), "宁波市")
    name = ledger.get(worker, "resident", other)["name"]
    assert other not in all_ids(worker, name)
    assert other in all_ids(worker, name, status="moved_out")
    household = (
        rows_of("select household_id from resident where id = $r", {"r": other})[0][0]
        or rows_of(
            "select id from household where starts_with(grid_code, $o) and status = 'active' limit 1",
            {"o": worker.org_code},
        )[0][0]
    )
    newcomer = events.move_in(
        worker,
        {
            "resident_name": "楼苑村",
            "resident_sex": "1",
            "resident_birth_date": "1990-03-04",
            "resident_phone": "13905719876",
        },
        "10",
        household_id=household,
    )
    assert all_ids(worker, "楼苑村") == [newcomer]
    assert newcomer in all_ids(worker, "9876") and newcomer in all_ids(worker, "13905719876")
    # After all these writes the tokens are exactly what a full rebuild gives.
    kept = token_rows()
    with db.transaction() as cur:
        ledger.refresh_search_tokens(cur, None)
    assert kept == token_rows()


def test_migration_builds_tokens_for_an_existing_database(tmp_path, monkeypatch):
    """A database made before schema 0160, with residents in it, gets the same tokens from the
    migration as from a full rebuild, and searches work straight after."""
    path = tmp_path / "old.duckdb"
    monkeypatch.setenv("YIBIAOTONG_DB", str(path))
    db.close_all()
    try:
        with db.write_lock, db.cursor() as cur:
            cur.execute(
                "create table schema_version (version integer primary key, name varchar "
                "not null, applied_at timestamp not null default current_timestamp)"
            )
            # Every migration but the token table's: the catalogue loader is today's code.
            for file in db.migrations():
                if int(file.name[:4]) == 160:
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
        assert "0160_resident_search_token" in db.migrate()
        built = token_rows()
        assert len(built) > 3000
        with db.transaction() as cur:
            ledger.refresh_search_tokens(cur, None)
        assert built == token_rows()
        name = rows_of("select name from resident where length(name) = 3 limit 1")[0][0]
        assert all_ids(district(), name[1:]) == expected_ids("330102", name[1:])
    finally:
        db.close_all()
