"""数据大屏 aggregates: every KPI against an independent computation, scope, cache, refresh, Excel."""

from __future__ import annotations

import dataclasses
import io
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from yibiaotong import auth, dashboard, db, ledger
from yibiaotong.scope import AccessDenied, Scope

DISTRICT = "330102"
STREET = "330102009"  # 闸弄口街道, leader_zlk's unit
TODAY = date.today()
QUALITY_COLUMNS = ("id_number", "birth_date", "phone", "ethnicity", "education", "current_address")


@pytest.fixture(autouse=True)
def fresh_cache():
    dashboard.clear_cache()
    yield
    dashboard.clear_cache()


def rows(sql: str, params: dict | None = None) -> list[dict]:
    """Raw ledger rows for the independent computations (the fixture has ~6k residents)."""
    with db.cursor() as cur:
        rel = cur.execute(sql, params or {})
        cols = [d[0] for d in rel.description]
        return [dict(zip(cols, r, strict=True)) for r in rel.fetchall()]


def residents(org: str) -> list[dict]:
    return rows(
        "select * from resident where grid_code like $p and status = 'active'", {"p": org + "%"}
    )


def full_years(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def under_one(born: date, on: date) -> bool:
    """Born after the same day a year ago (29 Feb counts from 28 Feb), as the 新生儿 tag."""
    try:
        year_ago = on.replace(year=on.year - 1)
    except ValueError:
        year_ago = on.replace(year=on.year - 1, day=28)
    return born > year_ago


def admin() -> Scope:
    return auth.scope_for("admin")


def leader() -> Scope:
    return auth.scope_for("leader_zlk")


# ---------------------------------------------------------------- every KPI, independently


@pytest.mark.parametrize("org", [DISTRICT, STREET, STREET + "001"])
def test_population_counts_match_the_ledger(use_fixture_db, org):
    figs = dashboard.figures(admin(), org, as_of=TODAY)
    people = residents(org)
    by_type = Counter(r["residence_type"] for r in people)
    assert figs.kpi["residents"] == len(people) > 0
    assert figs.kpi["registered"] == by_type["1"]
    assert figs.kpi["floating"] == by_type["2"]
    assert figs.kpi["overseas"] == by_type["3"]
    households = rows(
        "select id from household where grid_code like $p and status = 'active'", {"p": org + "%"}
    )
    assert figs.kpi["households"] == len(households)
    grids = rows(
        "select code from org_unit where level = 'grid' and code like $p", {"p": org + "%"}
    )
    assert figs.kpi["grids"] == len(grids) == len(figs.grids)


@pytest.mark.parametrize("org", [DISTRICT, STREET])
def test_pyramid_is_sex_by_five_year_band(use_fixture_db, org):
    figs = dashboard.figures(admin(), org, as_of=TODAY)
    expected = Counter(
        (r["sex"], min(full_years(r["birth_date"], TODAY) // 5, 18))
        for r in residents(org)
        if r["birth_date"] is not None
    )
    got = {}
    for row in figs.pyramid.itertuples():
        got[("1", row.band)] = row.male
        got[("2", row.band)] = row.female
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in expected.items() if v}
    assert list(figs.pyramid["age"])[:2] == ["0–4岁", "5–9岁"]
    assert figs.pyramid["age"].iloc[-1] == "90岁及以上"


@pytest.mark.parametrize("org", [DISTRICT, STREET])
def test_births_of_the_last_twelve_months_by_order(use_fixture_db, org):
    figs = dashboard.figures(admin(), org, as_of=TODAY)
    babies = [r for r in residents(org) if under_one(r["birth_date"], TODAY)]
    orders = Counter(
        "孩次未登记"
        if r["birth_order"] is None
        else ("一孩", "二孩")[r["birth_order"] - 1]
        if r["birth_order"] < 3
        else "三孩及以上"
        for r in babies
    )
    assert dict(zip(figs.births["order"], figs.births["births"], strict=True)) == {
        label: orders.get(label, 0) for label in dashboard.BIRTH_ORDERS
    }
    assert figs.kpi["births_12m"] == len(babies) > 0
    # The same definition as the 新生儿 rule tag.
    newborn = rows(
        "select count(*) as n from entity_tag as et join tag as t on t.id = et.tag_id "
        "join resident as r on r.id = et.entity_id where t.code = 'newborn' "
        "and r.status = 'active' and r.grid_code like $p",
        {"p": org + "%"},
    )[0]["n"]
    assert figs.kpi["births_12m"] == newborn


@pytest.mark.parametrize("org", [DISTRICT, STREET])
def test_key_groups_come_from_entity_tag(use_fixture_db, org):
    figs = dashboard.figures(admin(), org, as_of=TODAY)
    active = {r["id"] for r in residents(org)}
    tagged = rows(
        "select t.code, et.entity_id from entity_tag as et join tag as t on t.id = et.tag_id "
        "where et.entity = 'resident'"
    )
    for code in dashboard.KEY_GROUPS:
        expected = len({t["entity_id"] for t in tagged if t["code"] == code} & active)
        assert figs.kpi[code] == expected, code
        assert expected > 0, f"fixture has no {code}"


@pytest.mark.parametrize("org", [DISTRICT, STREET])
def test_housing_by_use_and_occupancy_and_rental_share(use_fixture_db, org):
    figs = dashboard.figures(admin(), org, as_of=TODAY)
    houses = rows(
        "select * from house where grid_code like $p and status = 'active'", {"p": org + "%"}
    )
    names = {"1": "自住", "2": "出租", "3": "空置", "4": "群租", None: "未登记"}
    expected = Counter(names[h["occupancy"]] for h in houses)
    got = dict(zip(figs.occupancy["occupancy"], figs.occupancy["houses"], strict=True))
    assert {k: v for k, v in got.items() if v} == dict(expected)
    assert figs.kpi["houses"] == len(houses)
    assert figs.kpi["rented_houses"] == expected["出租"] + expected["群租"]
    assert figs.house_use["houses"].sum() == len(houses)
    per_community: dict[str, list[int]] = {}
    for h in houses:
        counts = per_community.setdefault(h["grid_code"][:12], [0, 0])
        counts[0] += 1
        counts[1] += h["occupancy"] in ("2", "4")
    got_share = {r.code: (r.houses, r.rented, r.share) for r in figs.rental.itertuples()}
    assert got_share == {c: (n, r, r / n) for c, (n, r) in per_community.items()}
    assert list(figs.rental["share"]) == sorted(figs.rental["share"], reverse=True)


@pytest.mark.parametrize("org", [DISTRICT, STREET])
def test_shops_by_category_status_and_inspection(use_fixture_db, org):
    figs = dashboard.figures(admin(), org, as_of=TODAY)
    shops = rows("select * from shop where grid_code like $p", {"p": org + "%"})
    category = {
        "01": "餐饮",
        "02": "零售",
        "03": "美容美发",
        "04": "住宿",
        "05": "维修",
        "06": "教育培训",
        "07": "医疗药店",
        "08": "文化娱乐",
        "09": "小型加工",
        "99": "其他",
    }
    expected = Counter((category[s["category"]], s["status"]) for s in shops)
    got = {}
    for r in figs.shop_categories.itertuples():
        got[(r.category, "active")] = r.open
        got[(r.category, "closed")] = r.closed
    assert {k: v for k, v in got.items() if v} == dict(expected)
    assert figs.kpi["open_shops"] == sum(s["status"] == "active" for s in shops)
    assert figs.kpi["closed_shops"] == sum(s["status"] == "closed" for s in shops)
    inspection = {"1": "已检查合格", "2": "待检查", "3": "整改中", None: "未登记"}
    open_by_status = Counter(
        inspection[s["inspection_status"]] for s in shops if s["status"] == "active"
    )
    got_inspection = dict(
        zip(figs.inspections["inspection"], figs.inspections["shops"], strict=True)
    )
    assert {k: v for k, v in got_inspection.items() if v} == dict(open_by_status)


def test_grids_residents_households_and_load_threshold(use_fixture_db, monkeypatch):
    households = rows(
        "select grid_code from household where grid_code like $p and status = 'active'",
        {"p": STREET + "%"},
    )
    per_grid = Counter(h["grid_code"] for h in households)
    people = Counter(r["grid_code"] for r in residents(STREET))
    figs = dashboard.figures(admin(), STREET, as_of=TODAY)
    assert dashboard.GRID_LOAD_HOUSEHOLDS == 300
    table = {r.code: (r.residents, r.households, r.overloaded) for r in figs.grids.itertuples()}
    assert {c: (p, h) for c, (p, h, _) in table.items() if p or h} == {
        c: (people[c], per_grid[c]) for c in set(people) | set(per_grid)
    }
    assert not any(o for _, _, o in table.values())  # no grid of the small fixture holds 300
    assert list(figs.grids["households"]) == sorted(figs.grids["households"], reverse=True)

    limit = sorted(per_grid.values())[len(per_grid) // 2]
    monkeypatch.setattr(dashboard, "GRID_LOAD_HOUSEHOLDS", limit)
    dashboard.clear_cache()
    figs = dashboard.figures(leader(), as_of=TODAY)
    over = {g for g, n in per_grid.items() if n > limit}
    assert set(figs.grids.loc[figs.grids["overloaded"], "code"]) == over
    assert figs.kpi["overloaded_grids"] == len(over) > 0


@pytest.mark.parametrize("org", [DISTRICT, STREET])
def test_units_one_level_down_add_up_and_match_their_own_view(use_fixture_db, org):
    figs = dashboard.figures(admin(), org, as_of=TODAY)
    children = rows("select code from org_unit where parent_code = $o", {"o": org})
    assert sorted(figs.units["code"]) == sorted(c["code"] for c in children)
    assert figs.units["residents"].sum() == figs.kpi["residents"]
    assert figs.units["households"].sum() == figs.kpi["households"]
    assert figs.units["open_shops"].sum() == figs.kpi["open_shops"]
    unit = figs.units.iloc[0]
    own = dashboard.figures(admin(), unit["code"], as_of=TODAY).kpi
    assert (unit["registered"], unit["floating"], unit["overseas"]) == (
        own["registered"],
        own["floating"],
        own["overseas"],
    )
    assert (unit["houses"], unit["rented"]) == (own["houses"], own["rented_houses"])


def test_district_compares_its_fourteen_streets(use_fixture_db):
    figs = dashboard.figures(admin(), as_of=TODAY)
    assert figs.child_level == "street"
    assert len(figs.units) == 14
    assert (figs.units["residents"] > 0).all()


def test_data_quality_completeness_by_field_and_community(use_fixture_db):
    figs = dashboard.figures(leader(), as_of=TODAY)
    people = residents(STREET)
    for field, column in zip(dashboard.QUALITY_FIELDS.values(), QUALITY_COLUMNS, strict=True):
        row = figs.completeness[figs.completeness["field"] == field].iloc[0]
        filled = sum(r[column] is not None for r in people)
        assert (row["filled"], row["residents"]) == (filled, len(people))
        assert row["share"] == pytest.approx(filled / len(people))
    assert figs.completeness["share"].min() < 1  # the fixture leaves phones out
    by_community: dict[str, list[int]] = {}
    for r in people:
        counts = by_community.setdefault(r["grid_code"][:12], [0, 0])
        counts[0] += 1
        counts[1] += sum(r[c] is not None for c in QUALITY_COLUMNS)
    got = {r.code: (r.residents, r.completeness) for r in figs.quality_units.itertuples()}
    assert got.keys() == by_community.keys()
    for code, (n, filled) in by_community.items():
        assert got[code][0] == n
        assert got[code][1] == pytest.approx(filled / (n * len(QUALITY_COLUMNS)))
    assert list(figs.quality_units["completeness"]) == sorted(figs.quality_units["completeness"])
    total = sum(filled for _, filled in by_community.values())
    assert figs.kpi["completeness"] == pytest.approx(total / (len(people) * len(QUALITY_COLUMNS)))


def test_records_updated_in_the_last_thirty_days(writable_db):
    with db.write_lock, db.cursor() as cur:
        # Age a third of the street's records so "recent" means something.
        for table in ("resident", "household", "house", "shop"):
            cur.execute(
                f"update {table} set updated_at = updated_at - interval 90 day "
                "where id % 3 = 0 and grid_code like $p",
                {"p": STREET + "%"},
            )
    figs = dashboard.figures(leader(), as_of=TODAY)
    since = datetime.combine(TODAY, datetime.min.time()) - timedelta(days=30)
    expected = {}
    for table, label in (
        ("resident", "人口"),
        ("household", "户"),
        ("house", "房屋"),
        ("shop", "商铺"),
    ):
        status = "" if table == "shop" else " and status = 'active'"
        expected[label] = rows(
            f"select count(*) as n from {table} where grid_code like $p "
            f"and updated_at >= $s{status}",
            {"p": STREET + "%", "s": since},
        )[0]["n"]
    assert dict(zip(figs.updated["entity"], figs.updated["records"], strict=True)) == expected
    assert 0 < figs.kpi["updated_recently"] == sum(expected.values())


def id_problems(people: list[dict]) -> tuple[int, int]:
    """GB 11643 by hand: characters 7–14 are the birth date, the 17th is odd for men."""
    birth = sex = 0
    for r in people:
        if r["id_type"] != "01" or r["id_number"] is None:
            continue
        birth += r["id_number"][6:14] != r["birth_date"].strftime("%Y%m%d")
        sex += (int(r["id_number"][16]) % 2 == 1) != (r["sex"] == "1")
    return birth, sex


def test_validation_failures_are_id_numbers_disagreeing_with_birth_date_or_sex(writable_db):
    assert (
        dashboard.figures(leader(), as_of=TODAY).kpi["id_problems"]
        == id_problems(residents(STREET))[0] + id_problems(residents(STREET))[1]
    )
    ids = [r["id"] for r in residents(STREET) if r["id_type"] == "01"][:5]
    with db.write_lock, db.cursor() as cur:
        # Bad data as an import batch would leave it (the console's own validation refuses it);
        # like every write path it stamps updated_at, which the per-grid check cache relies on.
        cur.execute(
            "update resident set birth_date = birth_date + 1, updated_at = current_timestamp "
            "where id in ($a, $b)",
            {"a": ids[0], "b": ids[1]},
        )
        cur.execute(
            "update resident set sex = case sex when '1' then '2' else '1' end, "
            "updated_at = current_timestamp where id in ($a, $b, $c)",
            {"a": ids[1], "b": ids[2], "c": ids[3]},
        )
        db.bump_data_version(cur)
    figs = dashboard.figures(leader(), as_of=TODAY)
    birth, sex = id_problems(residents(STREET))
    assert (birth, sex) == (2, 3)
    assert (figs.kpi["id_birth_mismatch"], figs.kpi["id_sex_mismatch"]) == (birth, sex)
    assert figs.kpi["id_problems"] == 5
    assert figs.quality_units["id_birth"].sum() == 2
    assert figs.quality_units["id_sex"].sum() == 3


def test_id_checks_run_again_only_for_grids_a_write_touched(writable_db, monkeypatch):
    calls: list[list[str]] = []
    fetch = db.fetch_dicts

    def spy(name, /, **params):
        if name == "dashboard/id_checks_by_grid":
            calls.append(list(params["grids"]))
        return fetch(name, **params)

    monkeypatch.setattr(db, "fetch_dicts", spy)
    worker = auth.scope_for("sw_tianxian")
    dashboard.figures(leader(), as_of=TODAY)
    assert len(calls) == 1 and len(calls[0]) == len(
        {r["grid_code"] for r in residents(STREET)}
    )  # first view: every grid

    person = residents(worker.org_code)[0]
    record = ledger.get(worker, "resident", person["id"])
    ledger.save(worker, "resident", person["id"], {"resident_phone": None}, record["version"])
    figs = dashboard.figures(leader(), as_of=TODAY)
    assert calls[1] == [person["grid_code"]]  # after the edit: only that grid
    assert figs.kpi["id_problems"] == sum(id_problems(residents(STREET)))

    # An import-like fix elsewhere in the street: the moved fingerprint brings the grid back.
    other = next(r for r in residents(STREET) if r["grid_code"] != person["grid_code"])
    with db.write_lock, db.cursor() as cur:
        cur.execute(
            "update resident set birth_date = birth_date - 1, updated_at = current_timestamp "
            "where id = $id",
            {"id": other["id"]},
        )
        db.bump_data_version(cur)
    figs = dashboard.figures(leader(), as_of=TODAY)
    assert calls[2] == [other["grid_code"]]
    assert figs.kpi["id_birth_mismatch"] == id_problems(residents(STREET))[0] == 1
    # The district view reuses the street's grids and checks only the rest of the district.
    district = dashboard.figures(admin(), as_of=TODAY)
    assert not any(g.startswith(STREET) for g in calls[3])
    assert district.kpi["id_birth_mismatch"] == 1
    # A resident moving out takes their problem with them.
    with db.write_lock, db.cursor() as cur:
        cur.execute(
            "update resident set status = 'moved_out', updated_at = current_timestamp "
            "where id = $id",
            {"id": other["id"]},
        )
        db.bump_data_version(cur)
    assert dashboard.figures(leader(), as_of=TODAY).kpi["id_birth_mismatch"] == 0


# ---------------------------------------------------------------- 一表通使用


def add_run(cur, run_id: int, org: str, minutes: int, at: datetime) -> None:
    cur.execute(
        "insert into report_run (id, username, template_code, template_version, org_code, rows, "
        "seconds, file_hash, minutes_saved, created_at) "
        "values ($id, 'leader_zlk', 'x', 1, $org, 10, 0.5, 'h', $m, $at)",
        {"id": run_id, "org": org, "m": minutes, "at": at},
    )


def test_reports_this_month_and_hours_saved_come_from_the_run_log(writable_db):
    this_month = datetime.combine(TODAY.replace(day=1), datetime.min.time()) + timedelta(hours=9)
    last_month = this_month - timedelta(days=3)
    with db.write_lock, db.cursor() as cur:
        add_run(cur, 1, STREET, 30, this_month)
        add_run(cur, 2, STREET + "001", 60, this_month)
        add_run(cur, 3, STREET, 600, last_month)  # not this month
        add_run(cur, 4, "330102001", 45, this_month)  # another street
        add_run(cur, 5, DISTRICT, 120, this_month)  # the whole district: not the street's
    street = dashboard.figures(leader(), as_of=TODAY).kpi
    assert (street["reports_month"], street["hours_saved"]) == (2, 1.5)
    district = dashboard.figures(admin(), as_of=TODAY).kpi
    assert (district["reports_month"], district["hours_saved"]) == (4, 4.2)


def test_templates_in_force_by_department(writable_db):
    with db.write_lock, db.cursor() as cur:
        code, department = cur.execute(
            "select code, department from report_template order by code limit 1"
        ).fetchone()
        cur.execute(
            "insert into report_template "
            "select * replace (version + 1 as version, 'retired' as status) "
            "from report_template where code = $c and version = 1",
            {"c": code},
        )
    templates = rows("select * from report_template")
    latest = {}
    for t in templates:
        if t["code"] not in latest or t["version"] > latest[t["code"]]["version"]:
            latest[t["code"]] = t
    names = {d["code"]: d["name"] for d in rows("select code, name from department")}
    expected = Counter(
        names.get(t["department"], t["department"])
        for t in latest.values()
        if t["status"] == "active"
        and (t["valid_from"] is None or t["valid_from"] <= TODAY)
        and (t["valid_to"] is None or t["valid_to"] >= TODAY)
    )
    figs = dashboard.figures(leader(), as_of=TODAY)
    frame = figs.usage["templates"]
    got = dict(zip(frame["department"], frame["templates"], strict=True))
    assert got == dict(expected)
    assert figs.kpi["templates"] == sum(expected.values()) == len(latest) - 1
    assert figs.kpi["template_departments"] == len(expected)


def test_usage_without_report_centre_tables_is_none(writable_db):
    """A database made before migration 0060 (like an old benchmark file) shows 暂无."""
    with db.write_lock, db.cursor() as cur:
        cur.execute("drop table report_run")
        cur.execute("drop table report_template")
    figs = dashboard.figures(admin(), as_of=TODAY)
    assert figs.kpi["reports_month"] is None
    assert figs.kpi["hours_saved"] is None
    assert figs.kpi["templates"] is None
    assert figs.usage["templates"] is None
    assert dashboard.format_count(None) == "暂无"
    wb = load_workbook(io.BytesIO(dashboard.summary_xlsx(figs)))
    usage = {c[0].value: c[1].value for c in wb["一表通使用"].iter_rows(min_row=3, max_row=7)}
    assert usage["本月生成报表"] == "暂无"


def test_edits_by_social_workers_are_counted_in_their_unit(writable_db):
    worker = auth.scope_for("sw_tianxian")
    before = dashboard.figures(leader(), as_of=TODAY).kpi
    person = residents(worker.org_code)[0]
    record = ledger.get(worker, "resident", person["id"])
    ledger.save(
        worker,
        "resident",
        person["id"],
        {"resident_employer": "天仙社区服务中心"},
        record["version"],
    )
    ledger.save(
        worker,
        "resident",
        person["id"],
        {"resident_occupation": "社区工作者"},
        record["version"] + 1,
    )
    after = dashboard.figures(leader(), as_of=TODAY).kpi
    assert (before["sw_records"], before["sw_workers"]) == (0, 0)
    assert (after["sw_records"], after["sw_workers"]) == (1, 1)
    # A street where no social worker edited sees none of it.
    other = dashboard.figures(admin(), "330102001", as_of=TODAY).kpi
    assert other["sw_records"] == 0


# ---------------------------------------------------------------- scope


def test_street_leader_sees_only_their_street(use_fixture_db):
    mine = dashboard.figures(leader(), as_of=TODAY)
    assert mine.org_code == STREET
    assert mine.kpi["residents"] == len(residents(STREET))
    district = dashboard.figures(admin(), as_of=TODAY)
    street_row = district.units[district.units["code"] == STREET].iloc[0]
    assert mine.kpi["residents"] == street_row["residents"] < district.kpi["residents"]
    assert all(code.startswith(STREET) for code in mine.units["code"])
    assert all(code.startswith(STREET) for code in mine.grids["code"])
    assert all(code.startswith(STREET) for code in mine.rental["code"])
    assert all(code.startswith(STREET) for code in mine.quality_units["code"])
    for elsewhere in (DISTRICT, "330102001", "330102001001"):
        with pytest.raises(AccessDenied):
            dashboard.figures(leader(), elsewhere)
    communities = dashboard.drill_options(leader(), STREET)
    assert communities and all(o["code"].startswith(STREET) for o in communities)
    with pytest.raises(AccessDenied):
        dashboard.drill_options(leader(), "330102001")


def test_drill_path_and_levels(use_fixture_db):
    community = STREET + "001"
    path = dashboard.drill_path(admin(), community)
    assert [(u["code"], u["level"]) for u in path] == [
        (DISTRICT, "district"),
        (STREET, "street"),
        (community, "community"),
    ]
    assert [u["code"] for u in dashboard.drill_path(leader(), community)] == [STREET, community]
    figs = dashboard.figures(admin(), community, as_of=TODAY)
    assert (figs.level, figs.child_level, figs.unit_level) == ("community", "grid", "grid")
    with pytest.raises(ValueError, match="未知的辖区"):
        dashboard.view_org(admin(), community + "001")  # a grid: the board stops at communities
    with pytest.raises(ValueError, match="未知的辖区"):
        dashboard.view_org(admin(), "3301029")


# ---------------------------------------------------------------- cache and refresh


def test_cache_is_per_scope_and_data_version(use_fixture_db):
    first = dashboard.figures(admin(), as_of=TODAY)
    assert dashboard.figures(admin(), as_of=TODAY) is first
    street = dashboard.figures(admin(), STREET, as_of=TODAY)
    assert street is not first and street.org_code == STREET
    assert dashboard.figures(admin(), STREET, as_of=TODAY) is street
    # The street leader's view of the same unit is its own (withheld cells), cached as well.
    withheld = dashboard.figures(leader(), as_of=TODAY)
    assert withheld is not street and withheld.withheld
    assert dashboard.figures(leader(), as_of=TODAY) is withheld
    assert first.data_version == db.data_version()


def test_a_ledger_edit_changes_the_figure_after_refresh(writable_db):
    worker = auth.scope_for("sw_tianxian")
    before = dashboard.figures(admin(), STREET, as_of=TODAY)
    person = next(r for r in residents(worker.org_code) if r["residence_type"] == "1")
    record = ledger.get(worker, "resident", person["id"])
    ledger.save(
        worker, "resident", person["id"], {"resident_residence_type": "2"}, record["version"]
    )
    after = dashboard.figures(admin(), STREET, as_of=TODAY)
    assert after is not before
    assert after.data_version > before.data_version
    assert after.kpi["registered"] == before.kpi["registered"] - 1
    assert after.kpi["floating"] == before.kpi["floating"] + 1
    assert after.kpi["residents"] == before.kpi["residents"]
    assert after.kpi["sw_records"] == before.kpi["sw_records"] + 1


def test_an_event_changes_the_housing_figures(writable_db):
    from yibiaotong import events

    worker = auth.scope_for("sw_tianxian")
    house = rows(
        "select id from house where grid_code like $p and status = 'active' "
        "and occupancy in ('1', '3') order by id limit 1",
        {"p": worker.org_code + "%"},
    )[0]
    before = dashboard.figures(leader(), as_of=TODAY).kpi
    events.register_rental(worker, house["id"], 2, TODAY)
    after = dashboard.figures(leader(), as_of=TODAY).kpi
    assert after["rented_houses"] == before["rented_houses"] + 1


# ---------------------------------------------------------------- Excel summary


def test_summary_workbook_has_a_sheet_per_figure_group(use_fixture_db):
    figs = dashboard.figures(admin(), STREET, as_of=TODAY)
    wb = load_workbook(io.BytesIO(dashboard.summary_xlsx(figs)))
    assert wb.sheetnames == ["概览", "人口", "房屋", "商铺", "网格", "数据质量", "一表通使用"]
    overview = wb["概览"]
    assert overview["A2"].value == "指标" and overview["A2"].font.bold
    values = {overview.cell(r, 1).value: overview.cell(r, 2).value for r in range(3, 40)}
    assert values["实有人口"] == figs.kpi["residents"]
    assert values["流动人口"] == figs.kpi["floating"]
    assert values["低保对象"] == figs.kpi["dibao"]
    assert overview.column_dimensions["A"].width >= 16
    usage = {c[0].value: c[1].value for c in wb["一表通使用"].iter_rows(min_row=3, max_row=7)}
    assert usage["本月生成报表"] == figs.kpi["reports_month"] == 0
    assert usage["在用报表模板"] == figs.kpi["templates"] > 0
    grid_sheet = wb["网格"]
    assert grid_sheet["A2"].value == "网格" and grid_sheet["A2"].font.bold
    assert grid_sheet.max_row == 2 + len(figs.grids)


def test_summary_escapes_formula_looking_text(use_fixture_db):
    figs = dashboard.figures(leader(), as_of=TODAY)
    units = figs.units.copy()
    units.loc[units.index[0], "name"] = '=HYPERLINK("http://x","点我")'
    wb = load_workbook(io.BytesIO(dashboard.summary_xlsx(dataclasses.replace(figs, units=units))))
    cells = [c for row in wb["人口"].iter_rows() for c in row if str(c.value).startswith("=")]
    assert len(cells) == 1
    assert cells[0].data_type == "s"
    assert cells[0].quotePrefix


def test_export_is_logged_and_refused_outside_scope(writable_db):
    figs = dashboard.figures(leader(), as_of=TODAY)
    assert dashboard.export_xlsx(leader())[:2] == b"PK"
    logged = rows(
        "select username, action, detail from access_log where action = 'dashboard_export'"
    )
    assert logged == [
        {"username": "leader_zlk", "action": "dashboard_export", "detail": f"数据大屏汇总 {STREET}"}
    ]
    with pytest.raises(AccessDenied):
        dashboard.export_xlsx(leader(), "330102")
    assert dashboard.export_name(figs) == f"数据大屏_闸弄口街道_{TODAY:%Y%m%d}.xlsx"


def test_a_district_without_data_still_draws(empty_db):
    from yibiaotong.ui import charts

    # A catalogue-only database has no accounts: the district's admin scope stands in.
    figs = dashboard.figures(auth.system_scope("admin"), as_of=TODAY)
    assert figs.kpi["residents"] == figs.kpi["households"] == figs.kpi["open_shops"] == 0
    assert figs.kpi["completeness"] is None
    assert len(figs.units) == 14 and figs.units["residents"].sum() == 0
    assert figs.grids["households"].sum() == 0 and not figs.grids["overloaded"].any()
    for dark in (False, True):
        p = charts.palette(dark)
        charts.pyramid(figs.pyramid, p)
        charts.units_comparison(figs.units, p, "街道")
        charts.donut(figs.occupancy["occupancy"], figs.occupancy["houses"], p, "房屋使用情况")
        charts.hbar(figs.completeness["field"], figs.completeness["share"], p, "完整率")
        charts.stacked_hbar(
            figs.shop_categories, "category", [("open", "在营", "primary")], p, "商铺类别"
        )
    assert dashboard.summary_xlsx(figs)[:2] == b"PK"
