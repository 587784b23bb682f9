"""The demo district generator: valid ids and credit codes, coherent families, every street filled."""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from pathlib import Path

import pytest
from pypinyin import Style, lazy_pinyin
from stdnum.cn import ric, uscc

from yibiaotong import db, demo

RESIDENTS = 12_000
IMPORT_TAGS = ("dibao", "tekun", "disabled", "veteran")


def _gb11643_check(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def _load_org_tree(cur) -> None:
    """The real catalogue when it is there, else 2 streets × 2 communities × 2 grids and tags."""
    try:
        from yibiaotong import catalog
    except ImportError:
        catalog = None
    if catalog is not None:
        catalog.load_catalog(cur)
        return
    rows = [("330102", "上城区", "district", None)]
    for s, street in enumerate(("湖滨街道", "凯旋街道"), start=1):
        street_code = f"330102{s:03d}"
        rows.append((street_code, street, "street", "330102"))
        for c in (1, 2):
            community = f"{street_code}{c:03d}"
            rows.append((community, f"第{c}社区", "community", street_code))
            rows += [(f"{community}{g:03d}", f"第{g}网格", "grid", community) for g in (1, 2)]
    cur.executemany(
        "insert into org_unit (code, name, level, parent_code, full_name) values (?, ?, ?, ?, ?)",
        [(*row, row[1]) for row in rows],
    )
    cur.executemany(
        "insert into tag (id, code, name, category, entity, kind) "
        "values (?, ?, ?, 'special_groups', 'resident', 'import')",
        [(i, code, code) for i, code in enumerate(IMPORT_TAGS, start=1)],
    )


def _build(path: Path, residents: int, seed: int = 1, progress=None) -> dict:
    db.migrate(path)
    with db.transaction(path) as cur:
        _load_org_tree(cur)
    with db.cursor(path) as cur:
        return demo.generate(cur, residents, seed=seed, progress=progress)


def _rows(path: Path, sql: str) -> list[tuple]:
    with db.cursor(path) as cur:
        return cur.execute(sql).fetchall()


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    """One generated district shared by the tests of this module: (db path, result, progress)."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    steps: list[tuple[str, float]] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("YIBIAOTONG_DB", str(path))
        db.close_all()
        result = _build(path, RESIDENTS, progress=lambda step, f: steps.append((step, f)))
        yield path, result, steps
        db.close_all()


@pytest.fixture(scope="module")
def residents(district):
    path = district[0]
    cols = (
        "id, id_type, id_number, name, name_initials, sex, birth_date, household_id, "
        "relation_to_head, house_id, grid_code, residence_type, birth_order, mother_id, "
        "father_id, status, health_status, marital_status, employment_status, phone"
    )
    rows = _rows(path, f"select {cols} from resident order by id")
    names = [c.strip() for c in cols.split(",")]
    return [dict(zip(names, row, strict=True)) for row in rows]


def test_exact_resident_count_and_report(district, residents):
    _, result, steps = district
    assert len(residents) == RESIDENTS
    assert result["residents"] == RESIDENTS
    assert result["households"] > 0 and result["houses"] >= result["households"] // 2
    assert 2.3 <= RESIDENTS / result["households"] <= 2.9
    fractions = [f for _, f in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_every_id_number_is_valid_unique_and_matches_the_record(residents):
    citizens = [r for r in residents if r["id_type"] == "01"]
    assert len(citizens) > 0.99 * RESIDENTS
    for r in citizens:
        number = r["id_number"]
        assert len(number) == 18 and number[:17].isdigit(), number
        # calc_check_digit wants the whole number: it drops the last character itself.
        assert ric.calc_check_digit(number) == number[17], number
        assert _gb11643_check(number[:17]) == number[17], number
        assert ric.get_birth_date(number) == r["birth_date"], number
        assert int(number[16]) % 2 == (1 if r["sex"] == "1" else 0), number
        assert number[:2] != "00"
    numbers = [r["id_number"] for r in residents]
    assert len(set(numbers)) == len(numbers)
    assert {r["id_number"][:6] for r in citizens if r["residence_type"] == "1"} <= {
        "330102",
        "330104",
    }
    foreigners = [r for r in residents if r["residence_type"] == "3"]
    assert foreigners and all(r["id_type"] == "04" for r in foreigners)


def test_every_shop_has_a_valid_unique_credit_code(district):
    rows = _rows(district[0], "select uscc, category, legal_person_id_number from shop")
    assert rows
    codes = [code for code, _, _ in rows]
    assert all(uscc.is_valid(code) and code[2:8] == "330102" for code in codes), codes[:5]
    assert len(set(codes)) == len(codes)
    for _, _, legal_id in rows:
        assert legal_id is None or ric.calc_check_digit(legal_id) == legal_id[17]


def test_every_household_has_one_head_that_head_id_points_to(district, residents):
    heads = defaultdict(list)
    for r in residents:
        if r["relation_to_head"] == "02":
            heads[r["household_id"]].append(r["id"])
    households = _rows(district[0], "select id, head_id from household")
    assert len(households) == len({r["household_id"] for r in residents})
    for household_id, head_id in households:
        assert heads[household_id] == [head_id]


def test_household_house_and_resident_share_a_grid(district, residents):
    households = {
        hid: (house, grid)
        for hid, house, grid in _rows(district[0], "select id, house_id, grid_code from household")
    }
    houses = dict(_rows(district[0], "select id, grid_code from house"))
    for r in residents:
        house_id, grid = households[r["household_id"]]
        assert r["house_id"] == house_id and houses[house_id] == grid == r["grid_code"]


def test_parents_are_in_the_household_with_the_right_sex(residents):
    by_id = {r["id"]: r for r in residents}
    for r in residents:
        for key, sex in (("mother_id", "2"), ("father_id", "1")):
            if r[key] is not None:
                parent = by_id[r[key]]
                assert parent["household_id"] == r["household_id"] and parent["sex"] == sex
                assert parent["birth_date"] < r["birth_date"] - datetime.timedelta(days=365 * 15)


def test_newborns_of_second_and_later_birth_order_exist_and_are_counted_right(residents):
    children = defaultdict(list)
    for r in residents:
        if r["mother_id"] is not None:
            children[(r["household_id"], r["mother_id"])].append(r)
    checked = 0
    for siblings in children.values():
        siblings.sort(key=lambda r: r["birth_date"])
        for older, r in enumerate(siblings):
            assert r["birth_order"] == 1 + older, r
            checked += 1
    assert checked > RESIDENTS // 10

    year_ago = datetime.date.today() - datetime.timedelta(days=365)
    newborns = [r for r in residents if r["birth_date"] > year_ago]
    assert 0.003 * RESIDENTS <= len(newborns) <= 0.012 * RESIDENTS
    streets = {r["grid_code"][:9] for r in residents}
    for street in streets:
        in_street = [r for r in newborns if r["grid_code"].startswith(street)]
        assert any(r["birth_order"] == 2 for r in in_street), street
        assert any(r["birth_order"] >= 3 for r in in_street), street
    assert all(r["status"] == "active" and r["employment_status"] == "50" for r in newborns)


def test_every_street_has_residents_houses_and_shops(district):
    path = district[0]
    streets = {code for (code,) in _rows(path, "select code from org_unit where level = 'street'")}
    assert len(streets) >= 2
    for table in ("resident", "house", "shop"):
        filled = {s for (s,) in _rows(path, f"select distinct left(grid_code, 9) from {table}")}
        assert filled == streets, table
    grids = {g for (g,) in _rows(path, "select code from org_unit where level = 'grid'")}
    assert {g for (g,) in _rows(path, "select distinct grid_code from resident")} <= grids


def test_age_pyramid_and_population_mix(residents):
    today = datetime.date.today()

    def age(r):
        b = r["birth_date"]
        return today.year - b.year - ((today.month, today.day) < (b.month, b.day))

    ages = [age(r) for r in residents]
    share = lambda lo, hi: sum(lo <= a < hi for a in ages) / len(ages)  # noqa: E731
    assert share(80, 200) >= 0.03
    assert 0.08 <= share(0, 15) <= 0.2
    assert 0.15 <= share(60, 200) <= 0.35
    assert share(30, 60) >= 0.3
    assert max(ages) <= 110
    floating = sum(r["residence_type"] == "2" for r in residents) / len(residents)
    assert 0.12 <= floating <= 0.3
    alone = defaultdict(int)
    for r in residents:
        alone[r["household_id"]] += 1
    elderly_alone = [r for r in residents if alone[r["household_id"]] == 1 and age(r) >= 60]
    assert len(elderly_alone) > 0.01 * RESIDENTS
    for r, a in zip(residents, ages, strict=True):
        if a < 6:
            assert r["employment_status"] == "50" and r["phone"] is None
        if a < 20:
            assert r["marital_status"] == "10"
        if r["relation_to_head"] == "10":
            assert r["marital_status"] == "20"
        if r["phone"] is not None:
            assert len(r["phone"]) == 11 and "13" <= r["phone"][:2] <= "19"
    statuses = {r["status"] for r in residents}
    assert statuses == {"active", "moved_out", "deceased"}


def test_floating_households_live_in_rented_houses(district):
    rows = _rows(
        district[0],
        "select distinct h.occupancy from resident as r join house as h on r.house_id = h.id "
        "where r.residence_type = '2'",
    )
    assert {o for (o,) in rows} <= {"2", "4"}
    occupancy = dict(_rows(district[0], "select occupancy, count(*) from house group by all"))
    assert set(occupancy) == {"1", "2", "3", "4"}


def test_name_initials_are_the_pinyin_first_letters(residents):
    chinese = [r for r in residents if r["residence_type"] != "3"]
    for r in chinese[:: max(1, len(chinese) // 500)]:
        expected = "".join(lazy_pinyin(r["name"], style=Style.FIRST_LETTER)).lower()
        assert r["name_initials"] == expected, r["name"]


def test_import_tags(district, residents):
    rows = _rows(
        district[0],
        "select t.code, e.entity_id, e.source, e.assigned_by, e.entity from entity_tag as e "
        "join tag as t on e.tag_id = t.id",
    )
    by_code = defaultdict(set)
    for code, entity_id, source, assigned_by, entity in rows:
        assert (source, assigned_by, entity) == ("import", "demo", "resident")
        by_code[code].add(entity_id)
    assert set(by_code) == set(IMPORT_TAGS)
    by_id = {r["id"]: r for r in residents}
    assert all(by_id[i]["health_status"] == "3" for i in by_code["disabled"])
    assert all(by_id[i]["sex"] == "1" for i in by_code["veteran"])
    assert 0.005 * RESIDENTS <= len(by_code["dibao"]) <= 0.02 * RESIDENTS
    assert 0.01 * RESIDENTS <= len(by_code["disabled"]) <= 0.035 * RESIDENTS


def _table_digest(path: Path) -> str:
    rows = _rows(
        path, "select * exclude (created_at, updated_at) from resident order by id"
    ) + _rows(path, "select * exclude (created_at, updated_at) from shop order by id")
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_same_seed_same_district(tmp_path):
    paths = [tmp_path / f"{name}.duckdb" for name in ("a", "b", "c")]
    for path, seed in zip(paths, (7, 7, 8), strict=True):
        _build(path, 3_000, seed=seed)
    digests = [_table_digest(p) for p in paths]
    db.close_all()
    assert digests[0] == digests[1] != digests[2]


def test_a_second_run_continues_after_existing_ids(tmp_path):
    path = tmp_path / "twice.duckdb"
    _build(path, 2_000)
    with db.cursor(path) as cur:
        second = demo.generate(cur, 1_000, seed=2)
    assert second["residents"] == 1_000
    (count, distinct) = _rows(path, "select count(*), count(distinct id_number) from resident")[0]
    db.close_all()
    assert count == distinct == 3_000


def test_generation_joins_the_callers_transaction(tmp_path):
    path = tmp_path / "rollback.duckdb"
    first = _build(path, 500)
    with pytest.raises(RuntimeError, match="undo"), db.transaction(path) as cur:
        assert demo.generate(cur, 700, seed=3)["residents"] == 700
        raise RuntimeError("undo")
    counts = _rows(path, "select (select count(*) from resident), (select count(*) from shop)")
    db.close_all()
    assert counts == [(500, first["shops"])]
