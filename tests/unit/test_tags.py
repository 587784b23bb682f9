"""Rule tags: compiled rules agree with plain Python on the fixture district; refresh, explain, edit."""

from __future__ import annotations

import shutil
from collections import defaultdict
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yibiaotong import auth, conditions, db, tags
from yibiaotong.scope import AccessDenied, Scope

TODAY = date.today()


def age(born: date, today: date = TODAY) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def age_months(born: date, today: date = TODAY) -> int:
    return (today.year - born.year) * 12 + today.month - born.month - (born.day > today.day)


@pytest.fixture(scope="module")
def refreshed(fixture_db):
    """The shared fixture with its rule tags computed (idempotent, so safe to share)."""
    with db.transaction() as cur:
        counts = tags.refresh_rules(cur)
    return counts


@pytest.fixture
def own_db(fixture_db, tmp_path, monkeypatch):
    """A private copy of the fixture for tests that write."""
    db.close_all()
    path = tmp_path / "copy.duckdb"
    shutil.copy(fixture_db, path)
    monkeypatch.setenv("YIBIAOTONG_DB", str(path))
    with db.transaction() as cur:
        tags.refresh_rules(cur)
    yield path
    db.close_all()


def _rows(sql: str) -> list[tuple]:
    with db.cursor() as cur:
        return cur.execute(sql).fetchall()


def _tagged(code: str) -> set[int]:
    with db.cursor() as cur:
        rows = cur.execute(
            "select entity_id from entity_tag join tag on tag.id = entity_tag.tag_id "
            "where tag.code = $code and entity_tag.source = 'rule'",
            {"code": code},
        ).fetchall()
    return {r[0] for r in rows}


@pytest.fixture(scope="module")
def people(refreshed):
    cols = (
        "id, status, sex, birth_date, household_id, mother_id, father_id, birth_order, "
        "residence_type, residence_permit_no, political_status, employment_status"
    )
    names = [c.strip() for c in cols.split(",")]
    return [dict(zip(names, row, strict=True)) for row in _rows(f"select {cols} from resident")]


def _expected(people: list[dict]) -> dict[str, set[int]]:
    """Every checked rule tag, computed from the rows in plain Python."""
    active = [p for p in people if p["status"] == "active"]
    members = defaultdict(list)
    for p in active:
        if p["household_id"] is not None:
            members[p["household_id"]].append(p)
    # Birth order from the ledger itself: the newborn's place among its mother's children.
    siblings = defaultdict(list)
    for p in people:
        parent = p["mother_id"] or p["father_id"]
        if parent is not None and p["birth_date"] is not None:
            siblings[parent].append(p)
    place = {}
    for kids in siblings.values():
        for i, kid in enumerate(sorted(kids, key=lambda k: (k["birth_date"], k["id"])), start=1):
            place[kid["id"]] = i

    out: dict[str, set[int]] = defaultdict(set)
    for p in active:
        b = p["birth_date"]
        if b is not None:
            a, months = age(b), age_months(b)
            if months < 12:
                out["newborn"].add(p["id"])
                order = place.get(p["id"])
                if order == 2:
                    out["second_child"].add(p["id"])
                if order is not None and order >= 3:
                    out["multi_child"].add(p["id"])
            if a >= 60:
                out["elderly"].add(p["id"])
                if len(members[p["household_id"]]) == 1:
                    out["living_alone"].add(p["id"])
            if a >= 80:
                out["elderly_80"].add(p["id"])
            if p["sex"] == "2" and 15 <= a <= 49:
                out["childbearing_women"].add(p["id"])
            if 6 <= a <= 15:
                out["school_age_child"].add(p["id"])
            if a < 6:
                out["preschool_child"].add(p["id"])
        if p["residence_type"] == "2":
            out["floating"].add(p["id"])
            if p["residence_permit_no"] is not None:
                out["residence_permit_holder"].add(p["id"])
        if p["political_status"] in ("01", "02"):
            out["party_member"].add(p["id"])
        if p["employment_status"] == "20":
            out["retired"].add(p["id"])
    households = [h for (h, s) in _rows("select id, status from household") if s == "active"]
    for h in households:
        size = len(members[h])
        minors = sum(1 for p in members[h] if p["birth_date"] and age(p["birth_date"]) < 18)
        if size == 1:
            out["single_person_household"].add(h)
        if size >= 5:
            out["large_household"].add(h)
        if minors > 0:
            out["household_with_minors"].add(h)
    return out


CHECKED = (
    "newborn", "second_child", "multi_child", "elderly", "elderly_80", "living_alone",
    "childbearing_women", "school_age_child", "preschool_child", "floating",
    "residence_permit_holder", "party_member", "retired", "single_person_household",
    "large_household", "household_with_minors",
)  # fmt: skip


@pytest.mark.parametrize("code", CHECKED)
def test_rule_tag_matches_independent_python(people, code):
    expected = _expected(people)[code]
    assert _tagged(code) == expected
    assert expected, f"the fixture should have some {code}"


def test_second_and_multi_child_newborns_exist_in_every_street(refreshed, people):
    """The article's example has families to find in each of the 14 streets."""
    by_id = {p["id"]: p for p in people}
    streets = {
        _rows(f"select grid_code from resident where id = {i}")[0][0][:9]
        for i in _tagged("second_child") | _tagged("multi_child")
    }
    assert len(streets) == 14
    assert all(by_id[i]["birth_order"] == 2 for i in _tagged("second_child"))


def test_refresh_returns_counts_per_rule_tag(refreshed):
    assert refreshed["elderly"] == len(_tagged("elderly"))
    assert set(refreshed) >= {"newborn", "second_child", "single_person_household", "rented"}
    assert all(isinstance(v, int) for v in refreshed.values())


def test_refresh_is_idempotent_and_never_touches_import_or_manual_rows(own_db):
    before = _rows("select count(*) from entity_tag where source <> 'rule'")
    rule_rows = _rows("select count(*) from entity_tag where source = 'rule'")
    with db.transaction() as cur:
        tags.refresh_rules(cur)
        tags.refresh_rules(cur, "resident")
    assert _rows("select count(*) from entity_tag where source <> 'rule'") == before
    assert _rows("select count(*) from entity_tag where source = 'rule'") == rule_rows
    dupes = _rows(
        "select count(*) from (select entity, entity_id, tag_id from entity_tag "
        "group by all having count(*) > 1)"
    )
    assert dupes == [(0,)]


def test_incremental_refresh_equals_full_refresh(own_db):
    snapshot = "select entity, entity_id, tag_id from entity_tag where source = 'rule' order by all"
    pair = _rows(
        "select min(id), max(id) from resident where status = 'active' and household_id in "
        "(select household_id from resident where status = 'active' group by 1 having count(*) = 2) "
        "group by household_id limit 1"
    )[0]
    newborn_mum = _rows("select id from resident where status = 'active' and sex = '2' limit 1")[0][
        0
    ]
    with db.transaction() as cur:
        # one member of a couple leaves: the other may now live alone; someone turns 90;
        # a baby arrives as a second child
        cur.execute("update resident set status = 'moved_out' where id = $i", {"i": pair[0]})
        cur.execute(
            "update resident set birth_date = date '1936-01-01' where id = $i", {"i": pair[1]}
        )
        cur.execute(
            "update resident set birth_date = current_date - 20, birth_order = 2 where id = $i",
            {"i": newborn_mum},
        )
        counts = tags.refresh_rules(cur, "resident", ids=[pair[0], pair[1], newborn_mum])
        partial = cur.execute(snapshot).fetchall()
        tags.refresh_rules(cur)
        assert cur.execute(snapshot).fetchall() == partial
    assert counts["newborn"] >= 1 and counts["second_child"] >= 1
    assert pair[1] in _tagged("elderly_80")


def test_refresh_rolls_back_with_the_callers_transaction(own_db):
    before = _rows("select count(*) from entity_tag")
    with pytest.raises(RuntimeError), db.transaction() as cur:
        cur.execute("update resident set birth_date = current_date - 10 where id < 100")
        tags.refresh_rules(cur, "resident")
        raise RuntimeError("write batch failed")
    assert _rows("select count(*) from entity_tag") == before


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31)),
    today=st.dates(min_value=date(1990, 1, 1), max_value=date(2035, 12, 31)),
    n=st.integers(min_value=0, max_value=120),
)
def test_age_bound_agrees_with_full_years(born, today, n):
    """born <= shift_back(today, n) exactly when the person is at least n full years old."""
    assert (born <= conditions.shift_back(today, years=n)) == (age(born, today) >= n)
    months = n * 3
    assert (born <= conditions.shift_back(today, months=months)) == (
        age_months(born, today) >= months
    )


def test_leap_day_birthdays():
    assert age(date(2024, 2, 29), date(2025, 2, 28)) == 0
    assert conditions.shift_back(date(2028, 2, 29), years=1) == date(2027, 2, 28)
    assert conditions.shift_back(date(2025, 3, 31), months=1) == date(2025, 2, 28)


# ------------------------------------------------------------------------------ compiler


def _compile(entity, rule):
    refs, names = tags.reference(entity)
    comp = conditions.Compiler(entity, refs, names, "p")
    return comp.rule(rule), comp.params


def test_compiled_rule_binds_values_as_parameters(refreshed):
    sql, params = _compile(
        "resident",
        {"match": "all", "conditions": [{"field": "name", "op": "=", "value": "' or 1=1 --"}]},
    )
    assert "or 1=1" not in sql
    assert "' or 1=1 --" in params.values()


@pytest.mark.parametrize(
    ("cond", "message"),
    [
        ({"field": "name; drop table resident", "op": "=", "value": "x"}, "未知字段"),
        ({"field": "attrs", "op": "=", "value": "x"}, "未知字段"),
        ({"field": "age", "op": "like", "value": "x"}, "不支持的运算"),
        ({"field": "age", "op": ">=", "value": "eighty"}, "不是数字"),
        ({"field": "age", "op": ">=", "value": 500}, "0–150"),
        ({"field": "sex", "op": "=", "value": "9"}, "没有代码"),
        ({"field": "sex", "op": ">", "value": "1"}, "代码字段"),
        ({"field": "age", "op": "between", "value": [60]}, "两个值"),
        ({"field": "age", "op": "between", "value": [70, 60]}, "下限"),
        ({"field": "age", "op": "in", "value": []}, "至少一个值"),
        ({"field": "residence_permit_no", "op": "not_null", "value": 3}, "不需要比较值"),
        ({"field": "birth_date", "op": ">", "value": "yesterday"}, "不是日期"),
    ],
)
def test_bad_conditions_are_refused_in_chinese(refreshed, cond, message):
    with pytest.raises(tags.RuleError, match=message):
        _compile("resident", {"match": "all", "conditions": [cond]})


def test_rule_shape_is_checked(refreshed):
    for rule in (
        None,
        {"match": "all"},
        {"match": "most", "conditions": []},
        {"match": "all", "conditions": []},
    ):
        with pytest.raises(tags.RuleError):
            _compile("resident", rule)


def test_rule_from_editor_rows_reads_names_lists_and_ranges(refreshed):
    rule = tags.rule_from_rows(
        "resident",
        "all",
        [
            {"字段": "性别", "运算": "等于", "取值": "女"},
            {"字段": "年龄", "运算": "介于（含两端）", "取值": "15, 49"},
            {"字段": "政治面貌", "运算": "属于其中之一", "取值": "中共党员、02"},
            {"字段": "居住证号", "运算": "已填写", "取值": None},
            {"字段": None, "运算": None, "取值": None},
        ],
    )
    assert rule == {
        "match": "all",
        "conditions": [
            {"field": "sex", "op": "=", "value": "2"},
            {"field": "age", "op": "between", "value": [15, 49]},
            {"field": "political_status", "op": "in", "value": ["01", "02"]},
            {"field": "residence_permit_no", "op": "not_null"},
        ],
    }
    with pytest.raises(tags.RuleError, match="第 1 行"):
        tags.rule_from_rows("resident", "all", [{"字段": "性别", "运算": "等于", "取值": "未知"}])


# ------------------------------------------------------------------------------ explain


def _scope(username: str) -> Scope:
    return auth.scope_for(username)


def test_explain_gives_the_reason_in_chinese(refreshed):
    admin = _scope("admin")
    old = min(_tagged("elderly_80") & _tagged("living_alone"))
    reasons = {r["code"]: r for r in tags.explain(admin, "resident", old)}
    born = _rows(f"select birth_date from resident where id = {old}")[0][0]
    assert reasons["elderly_80"]["reason"] == f"年龄 {age(born)} 岁 ≥ 80"
    assert reasons["elderly_80"]["source"] == "rule"
    assert "户内在册人数为 1 人" in reasons["living_alone"]["reason"]
    assert reasons["elderly_80"]["tag"] == "高龄老人"


def test_explain_of_second_child_names_birth_order(refreshed):
    baby = min(_tagged("second_child"))
    reasons = {r["code"]: r["reason"] for r in tags.explain(_scope("admin"), "resident", baby)}
    assert "孩次为 2" in reasons["second_child"]
    assert "月龄" in reasons["second_child"]


def test_explain_hides_sensitive_tags_without_clearance(refreshed):
    imported = _rows(
        "select entity_id from entity_tag join tag on tag.id = tag_id "
        "where tag.code = 'disabled' and entity_id in (select id from resident "
        "where starts_with(grid_code, '330102009')) limit 1"
    )[0][0]
    cleared = {r["code"] for r in tags.explain(_scope("admin"), "resident", imported)}
    leader = {r["code"] for r in tags.explain(_scope("leader_zlk"), "resident", imported)}
    assert "disabled" in cleared and "disabled" not in leader
    reason = next(
        r for r in tags.explain(_scope("admin"), "resident", imported) if r["code"] == "disabled"
    )
    assert reason["reason"].startswith("数据回流导入")


def test_explain_refuses_records_outside_scope(refreshed):
    outside = _rows(
        "select id from resident where not starts_with(grid_code, '330102009') limit 1"
    )[0][0]
    with pytest.raises(AccessDenied):
        tags.explain(_scope("leader_zlk"), "resident", outside)
    with pytest.raises(AccessDenied):
        tags.explain(_scope("leader_zlk"), "resident", 10**12)


def test_tree_counts_in_scope_and_hides_sensitive_tags(refreshed):
    leader = {t["code"]: t for t in tags.tree(_scope("leader_zlk"), "resident")}
    admin = {t["code"]: t for t in tags.tree(_scope("admin"), "resident")}
    assert "disabled" in admin and "disabled" not in leader
    assert "chronic_disease" not in leader
    assert leader["elderly"]["count"] < admin["elderly"]["count"]
    in_street = _rows(
        "select count(*) from resident where status = 'active' and starts_with(grid_code, '330102009') "
        "and id in (select entity_id from entity_tag join tag on tag.id = tag_id where tag.code = 'elderly')"
    )[0][0]
    assert leader["elderly"]["count"] == in_street
    assert leader["second_child"]["path"] == "计划生育 › 新生儿 › 二孩"
    assert leader["third_child"]["depth"] == 2


# ------------------------------------------------------------------------------ editing rules


def test_only_district_admin_edits_rules(own_db):
    rule = {"match": "all", "conditions": [{"field": "age", "op": ">=", "value": 85}]}
    for user in ("leader_zlk", "weijian", "sw_tianxian"):
        with pytest.raises(AccessDenied):
            tags.update_rule(_scope(user), "elderly_80", rule)


def test_admin_edits_a_rule_which_is_validated_saved_logged_and_refreshed(own_db):
    admin = _scope("admin")
    with pytest.raises(tags.RuleError, match="未知字段"):
        tags.update_rule(
            admin,
            "elderly_80",
            {"match": "all", "conditions": [{"field": "salary", "op": ">", "value": 1}]},
        )
    with pytest.raises(tags.RuleError, match="不是规则标签"):
        tags.update_rule(
            admin,
            "dibao",
            {"match": "all", "conditions": [{"field": "age", "op": ">", "value": 1}]},
        )
    version = db.data_version()
    counts = tags.update_rule(
        admin,
        "elderly_80",
        {"match": "all", "conditions": [{"field": "age", "op": ">=", "value": 85}]},
    )
    expected = {
        i
        for (i, b, s) in _rows("select id, birth_date, status from resident")
        if s == "active" and b and age(b) >= 85
    }
    assert _tagged("elderly_80") == expected
    assert counts["elderly_80"] == len(expected)
    assert db.data_version() > version
    log = _rows("select username, detail from access_log where action = 'tag_rule_edit'")
    assert log and log[-1][0] == "admin" and "高龄老人" in log[-1][1]


def test_household_aggregate_rule_children_count(own_db):
    """An admin turns 有未成年人家庭 into "three or more children" without writing SQL."""
    rule = tags.rule_from_rows(
        "household", "all", [{"字段": "未成年成员数", "运算": "大于等于", "取值": "3"}]
    )
    tags.update_rule(_scope("admin"), "household_with_minors", rule)
    minors = defaultdict(int)
    for hh, born, status in _rows("select household_id, birth_date, status from resident"):
        if status == "active" and born and age(born) < 18:
            minors[hh] += 1
    active = {h for (h,) in _rows("select id from household where status = 'active'")}
    assert _tagged("household_with_minors") == {
        h for h, n in minors.items() if n >= 3 and h in active
    }
    assert _tagged("household_with_minors")


def test_newborn_rule_uses_today(own_db):
    """A baby born 11 months ago is a newborn; at 12 full months it no longer is."""
    baby, older = (r[0] for r in _rows("select id from resident where status = 'active' limit 2"))
    with db.transaction() as cur:
        cur.execute(
            "update resident set birth_date = $d where id = $i",
            {"d": conditions.shift_back(TODAY, months=11), "i": baby},
        )
        cur.execute(
            "update resident set birth_date = $d where id = $i",
            {"d": conditions.shift_back(TODAY, months=12), "i": older},
        )
        tags.refresh_rules(cur, "resident", ids=[baby, older])
    assert baby in _tagged("newborn")
    assert older not in _tagged("newborn")
    assert TODAY - timedelta(days=400) < conditions.shift_back(TODAY, months=12)
