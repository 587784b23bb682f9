"""标签查询: boolean logic against Python sets, scope, masking, injection, saved queries."""

from __future__ import annotations

import io
import shutil
from datetime import date

import openpyxl
import pytest
import yaml

from yibiaotong import auth, config, db, tag_query, tags
from yibiaotong.scope import AccessDenied, Scope

STREET = "330102009"  # 闸弄口街道, leader_zlk's scope


@pytest.fixture(scope="module")
def refreshed(fixture_db):
    with db.transaction() as cur:
        tags.refresh_rules(cur)


@pytest.fixture
def own_db(fixture_db, tmp_path, monkeypatch):
    db.close_all()
    path = tmp_path / "copy.duckdb"
    shutil.copy(fixture_db, path)
    monkeypatch.setenv("YIBIAOTONG_DB", str(path))
    with db.transaction() as cur:
        tags.refresh_rules(cur)
    yield path
    db.close_all()


def scope(username: str) -> Scope:
    return auth.scope_for(username)


def _rows(sql: str, **params) -> list[tuple]:
    with db.cursor() as cur:
        return cur.execute(sql, params).fetchall()


def age(born: date) -> int:
    today = date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def in_scope(org: str, entity: str = "resident") -> set[int]:
    return {
        r[0]
        for r in _rows(
            f"select id from {entity} where status = 'active' and starts_with(grid_code, $org)",
            org=org,
        )
    }


def tagged(code: str) -> set[int]:
    return {
        r[0]
        for r in _rows(
            "select entity_id from entity_tag join tag on tag.id = tag_id where tag.code = $c",
            c=code,
        )
    }


def ids(sc: Scope, spec: dict) -> set[int]:
    fragment, params = tag_query.compile_filter(sc, spec)
    entity = spec.get("entity", "resident")
    return {r[0] for r in _rows(f"select e.id from {entity} as e where {fragment}", **params)}


def spec(all_=(), any_=(), none=(), conditions=(), entity="resident", org=None) -> dict:
    return {
        "entity": entity,
        "tags": {"all": list(all_), "any": list(any_), "none": list(none)},
        "conditions": list(conditions),
        "org_code": org,
    }


# ------------------------------------------------------------------------------ logic


@pytest.mark.parametrize("user", ["admin", "leader_zlk", "sw_tianxian"])
def test_and_or_not_match_python_set_algebra(refreshed, user):
    sc = scope(user)
    base = in_scope(sc.org_code)
    elderly, alone, party = tagged("elderly"), tagged("living_alone"), tagged("party_member")
    second, multi, retired = tagged("second_child"), tagged("multi_child"), tagged("retired")
    assert (
        ids(sc, spec(all_=["elderly", "living_alone", "party_member"]))
        == base & elderly & alone & party
    )
    assert ids(sc, spec(any_=["second_child", "multi_child"])) == base & (second | multi)
    assert ids(sc, spec(all_=["elderly"], none=["retired"])) == base & elderly - retired
    assert (
        ids(sc, spec(all_=["elderly"], any_=["living_alone", "party_member"], none=["retired"]))
        == (base & elderly & (alone | party)) - retired
    )
    assert ids(sc, spec(any_=["second_child", "multi_child"])), "the example finds families"


def test_not_only_query_is_everyone_in_scope_without_the_tag(refreshed):
    sc = scope("leader_zlk")
    found = ids(sc, spec(none=["elderly"]))
    assert found == in_scope(STREET) - tagged("elderly")
    assert tag_query.count(sc, spec(none=["elderly"])) == len(found)


def test_empty_spec_is_the_whole_scope(refreshed):
    sc = scope("sw_tianxian")
    assert tag_query.count(sc, {"entity": "resident"}) == len(in_scope(sc.org_code))


def test_empty_result_is_a_count_of_zero_and_an_empty_page(refreshed):
    sc = scope("leader_zlk")
    empty = spec(all_=["newborn", "elderly"])
    assert tag_query.count(sc, empty) == 0
    frame = tag_query.page(sc, empty)
    assert frame.empty and "姓名" in frame.columns
    assert tag_query.breakdown(sc, empty).empty
    assert tag_query.summary(sc, empty)["count"] == 0


def test_field_conditions_age_sex_and_area(refreshed):
    sc = scope("admin")
    found = ids(
        sc,
        spec(
            all_=["elderly"],
            conditions=[
                {"field": "resident_sex", "op": "=", "value": "2"},
                {"field": "age", "op": "between", "value": [70, 79]},
                {"field": "resident_residence_type", "op": "in", "value": ["1"]},
            ],
            org=STREET,
        ),
    )
    rows = _rows(
        "select id, sex, birth_date, residence_type from resident where status = 'active' "
        "and starts_with(grid_code, $org)",
        org=STREET,
    )
    expected = {
        i
        for i, sex, born, rtype in rows
        if sex == "2" and born and 70 <= age(born) <= 79 and rtype == "1"
    } & tagged("elderly")
    assert found == expected and expected


def test_household_house_and_shop_queries(refreshed):
    sc = scope("leader_zlk")
    assert ids(sc, spec(all_=["single_person_household"], entity="household")) == (
        in_scope(STREET, "household") & tagged("single_person_household")
    )
    assert ids(sc, spec(any_=["group_rented", "vacant"], entity="house")) == (
        in_scope(STREET, "house") & (tagged("group_rented") | tagged("vacant"))
    )
    small = ids(
        sc,
        spec(
            all_=["catering"],
            entity="shop",
            conditions=[{"field": "shop_area_sqm", "op": "<", "value": 100}],
        ),
    )
    shops = {i for (i, a) in _rows("select id, area_sqm from shop") if a is not None and a < 100}
    assert small == in_scope(STREET, "shop") & tagged("catering") & shops


def test_tag_of_another_entity_is_refused(refreshed):
    with pytest.raises(tag_query.QueryError, match="属于户"):
        tag_query.count(scope("admin"), spec(all_=["single_person_household"]))


def test_tags_may_be_given_by_id(refreshed):
    by_code = {t["code"]: t["id"] for t in tags.tag_index()}
    sc = scope("leader_zlk")
    assert ids(sc, spec(any_=[by_code["second_child"], by_code["multi_child"]])) == ids(
        sc, spec(any_=["second_child", "multi_child"])
    )


# ------------------------------------------------------------------------------ scope


def test_each_role_stays_inside_its_subtree(refreshed):
    for user in ("admin", "leader_zlk", "weijian", "sw_tianxian", "sw_hongmei"):
        sc = scope(user)
        found = ids(sc, spec(all_=["elderly"]))
        assert found <= in_scope(sc.org_code)
        grids = {
            g
            for (g,) in _rows(
                "select distinct grid_code from resident where id in (select unnest($i::bigint[]))",
                i=list(found),
            )
        }
        assert all(g.startswith(sc.org_code) for g in grids)


def test_org_outside_scope_is_refused_and_inside_narrows(refreshed):
    sw = scope("sw_tianxian")
    with pytest.raises(AccessDenied):
        tag_query.count(sw, spec(all_=["elderly"], org="330102001"))
    with pytest.raises(AccessDenied):
        tag_query.count(sw, spec(org="330102"))  # wider than the community
    leader = scope("leader_zlk")
    narrow = ids(leader, spec(all_=["elderly"], org=sw.org_code))
    assert narrow == in_scope(sw.org_code) & tagged("elderly")


def test_sensitive_tags_and_fields_need_clearance(refreshed):
    leader = scope("leader_zlk")  # street leaders are not cleared
    with pytest.raises(AccessDenied, match="敏感标签"):
        tag_query.count(leader, spec(all_=["dibao"]))
    with pytest.raises(AccessDenied, match="敏感字段"):
        tag_query.count(
            leader, spec(conditions=[{"field": "resident_health_status", "op": "=", "value": "4"}])
        )
    admin = scope("admin")
    assert tag_query.count(admin, spec(all_=["disabled"])) == len(
        in_scope("330102") & tagged("disabled")
    )


# ------------------------------------------------------------------------------ pages and masking


def test_page_masks_sensitive_columns_unless_cleared(refreshed):
    leader, admin = scope("leader_zlk"), scope("admin")
    query = spec(all_=["elderly"], org="330102009001")
    masked = tag_query.page(leader, query, 20)
    plain = tag_query.page(admin, query, 20)
    assert masked.attrs["ids"] == plain.attrs["ids"]
    assert masked["身份证号"].str.fullmatch(r"\d{6}\*{10}[\dX]{2}").all()
    assert plain["身份证号"].str.fullmatch(r"\d{17}[\dX]").all()
    assert masked["出生日期"].str.fullmatch(r"\d{4}年").all()
    assert [b[:4] for b in masked["出生日期"]] == [str(b.year) for b in plain["出生日期"]]
    phones = masked["联系电话"].dropna()
    assert phones.str.contains(r"\*").all()
    assert (masked["姓名"] == plain["姓名"]).all()


def _department_template_fields(department: str, entity: str) -> set[str]:
    """Fields and derived values the department's catalogue templates show (read from the
    YAML files, not through the report store)."""
    out = set()
    for path in (config.ROOT / "data" / "catalog" / "reports").glob("*.yaml"):
        defn = yaml.safe_load(path.read_text(encoding="utf-8"))
        if defn.get("department") == department and defn.get("entity") == entity:
            out |= {c.get("field") or c.get("derived") for c in defn.get("columns") or []}
    return out - {None}


@pytest.mark.parametrize("entity", ["resident", "household", "house", "shop"])
def test_a_department_lists_only_the_fields_its_own_templates_show(own_db, entity):
    """标签查询 gives department staff no more than their reports give them: 卫健 could list and
    export every resident's name, address and birth date, or house owners' phones."""
    staff, admin = scope("weijian"), scope("admin")
    query = spec(entity=entity)
    refs, _ = tags.reference(entity)
    by_label = {c.label: c.key for c in tag_query.columns(admin, query)}
    needed = _department_template_fields(staff.department, entity)
    org_labels = {"所属社区", "所属网格"}
    field = {k: r.code for k, r in refs.items() if r.code} | {"members": "member_count"}
    allowed = {
        label
        for label, key in by_label.items()
        if label in org_labels or field.get(key, key) in needed
    }
    shown = tag_query.page(staff, query, 5)
    assert set(shown.columns) == allowed
    assert {c.label for c in tag_query.columns(staff, query)} == allowed
    out = io.BytesIO()
    tag_query.export(staff, query, out)
    rows = openpyxl.load_workbook(out, read_only=True).active.iter_rows(values_only=True)
    header = next(r for r in rows if "所属社区" in r)  # below the title lines
    assert set(header) - {None, "序号"} == allowed
    if entity == "resident":  # 卫健's own rosters do show names, ages and addresses
        assert {"姓名", "年龄", "现住址"} <= allowed and "户号" not in allowed
    else:  # and nothing of households, houses or shops
        assert allowed == org_labels


def test_pages_follow_the_count_without_overlap(refreshed):
    sc = scope("leader_zlk")
    query = spec(any_=["second_child", "multi_child"])
    total = tag_query.count(sc, query)
    assert tag_query.page(sc, query, 7).attrs["total"] == total
    assert tag_query.page(sc, query, 7, 7, "name").attrs["total"] == total
    seen = []
    for offset in range(0, total, 7):
        seen += tag_query.page(sc, query, 7, offset).attrs["ids"]
    assert len(seen) == len(set(seen)) == total
    assert tag_query.page(sc, query, 7, total + 50).empty


def test_newborn_query_shows_the_subsidy_column_and_total(refreshed):
    sc = scope("admin")
    query = spec(any_=["second_child", "multi_child"])
    frame = tag_query.page(sc, query, 500)
    assert {"孩次", "母亲", "育儿补助（元）"} <= set(frame.columns)
    assert set(frame.loc[frame["孩次"] == 2, "育儿补助（元）"]) == {5000}
    assert set(frame.loc[frame["孩次"] >= 3, "育儿补助（元）"]) == {20000}
    orders = [
        o
        for (o,) in _rows(
            "select birth_order from resident where id in (select unnest($i::bigint[]))",
            i=sorted(tagged("second_child") | tagged("multi_child")),
        )
    ]
    totals = tag_query.summary(sc, query)
    assert totals["subsidy"] == sum(5000 if o == 2 else 20000 for o in orders)
    assert totals["count"] == len(orders)
    assert 0 < totals["households"] <= totals["count"]
    assert "育儿补助（元）" not in tag_query.page(sc, spec(all_=["elderly"]), 5).columns


def test_breakdown_sums_to_the_count(refreshed):
    admin = scope("admin")
    query = spec(all_=["elderly"])
    streets = tag_query.breakdown(admin, query)
    assert len(streets) == 14 and streets["数量"].sum() == tag_query.count(admin, query)
    assert streets["名称"].str.endswith("街道").all()
    communities = tag_query.breakdown(admin, query, "community")
    assert communities["数量"].sum() == tag_query.count(admin, query)
    grids = tag_query.breakdown(scope("sw_tianxian"), query)
    assert grids["名称"].str.contains("网格").all()
    with pytest.raises(tag_query.QueryError):
        tag_query.breakdown(scope("sw_tianxian"), query, "street")
    with pytest.raises(tag_query.QueryError):
        tag_query.breakdown(admin, query, "province")


# ------------------------------------------------------------------------------ bad input


INJECTIONS = [
    ({"tags": {"all": ["' or 1=1 --"]}}, tag_query.QueryError, "未知的标签"),
    (
        {"tags": {"all": ["elderly'); drop table entity_tag; --"]}},
        tag_query.QueryError,
        "未知的标签",
    ),
    ({"tags": {"any": [999999]}}, tag_query.QueryError, "未知的标签"),
    ({"tags": {"all": ["elderly", "elderly"]}}, tag_query.QueryError, "重复"),
    ({"tags": {"xor": ["elderly"]}}, tag_query.QueryError, "三组"),
    ({"tags": {"all": [{"$ne": 1}]}}, tag_query.QueryError, "格式"),
    (
        {"conditions": [{"field": "name) or (1=1", "op": "=", "value": "x"}]},
        tag_query.QueryError,
        "未知字段",
    ),
    (
        {"conditions": [{"field": "resident_name", "op": "= 1 or 1 =", "value": "x"}]},
        tag_query.QueryError,
        "不支持的运算",
    ),
    (
        {"conditions": [{"field": "resident_name", "op": "=", "value": ["a"]}]},
        tag_query.QueryError,
        "文字",
    ),
    ({"conditions": "1=1"}, tag_query.QueryError, "格式"),
    ({"entity": "resident; drop table resident"}, tag_query.QueryError, "未知的查询对象"),
    ({"entity": "app_user"}, tag_query.QueryError, "未知的查询对象"),
    ({"org_code": "330102' or '1'='1"}, tag_query.QueryError, "区域"),
    ({"org_code": "); drop table resident; --"}, tag_query.QueryError, "区域"),
    ({"sql": "select 1"}, tag_query.QueryError, "不认识"),
]


@pytest.mark.parametrize(("extra", "error", "message"), INJECTIONS)
def test_crafted_specs_are_refused_with_a_chinese_message(refreshed, extra, error, message):
    with pytest.raises(error, match=message):
        tag_query.count(scope("admin"), {"entity": "resident", **extra})


def test_sql_in_values_is_only_ever_a_value(refreshed):
    sc = scope("admin")
    before = _rows("select count(*) from resident")
    for value in ("' or 1=1 --", "'); drop table resident; --", 'x" or "1"="1'):
        query = spec(conditions=[{"field": "resident_name", "op": "=", "value": value}])
        fragment, params = tag_query.compile_filter(sc, query)
        assert value not in fragment and value in params.values()
        assert tag_query.count(sc, query) == 0
        assert tag_query.page(sc, query).empty
    assert _rows("select count(*) from resident") == before


def test_bad_sort_and_paging_are_refused(refreshed):
    sc = scope("admin")
    with pytest.raises(tag_query.QueryError, match="排序"):
        tag_query.page(sc, spec(), 10, 0, "id; drop table resident")
    with pytest.raises(tag_query.QueryError):
        tag_query.page(sc, spec(), 10_000)
    with pytest.raises(tag_query.QueryError):
        tag_query.page(sc, spec(), 10, -1)


def test_describe_reads_like_chinese(refreshed):
    text = tag_query.describe(
        spec(any_=["second_child", "multi_child"], none=["retired"], org=STREET)
    )
    assert text == "人口：（二孩 或 多孩），不含离退休人员，闸弄口街道"


# ------------------------------------------------------------------------------ saved queries


def test_save_share_rerun_and_report_template(own_db):
    sw, sibling, leader = scope("sw_tianxian"), scope("sw_hongmei"), scope("leader_zlk")
    query = spec(any_=["second_child", "multi_child"], org=sw.org_code + "001")
    private = tag_query.save_query(sw, "本网格新生儿", query)
    shared = tag_query.save_query(
        sw, "二孩多孩家庭", spec(any_=["second_child", "multi_child"]), shared=True
    )
    assert private != shared
    assert (
        tag_query.save_query(sw, "二孩多孩家庭", spec(any_=["second_child"]), shared=True) == shared
    )

    mine = {r["name"]: r for r in tag_query.list_saved(sw)}
    assert set(mine) == {"本网格新生儿", "二孩多孩家庭"} and all(r["mine"] for r in mine.values())
    assert mine["二孩多孩家庭"]["spec"]["tags"]["any"] == ["second_child"]
    assert tag_query.load_saved(sw, private) == tag_query.normalise(query)

    # Shared within the unit's line: the street above sees it, the sibling community does not.
    assert [r["name"] for r in tag_query.list_saved(leader)] == ["二孩多孩家庭"]
    assert tag_query.list_saved(sibling) == []
    with pytest.raises(tag_query.QueryError):
        tag_query.load_saved(sibling, shared)

    # Only the owner deletes or turns it into a report template.
    tag_query.delete_saved(leader, shared)
    tag_query.set_as_report(leader, shared)
    assert tag_query.report_templates(sw) == []
    tag_query.set_as_report(sw, shared)
    templates = tag_query.report_templates(leader)
    assert [t["name"] for t in templates] == ["二孩多孩家庭"]
    assert templates[0]["spec"]["entity"] == "resident"
    # Templates follow the same line of org units as the queries: a sibling community sees none.
    assert tag_query.report_templates(sibling) == []
    tag_query.delete_saved(sw, private)
    assert [r["id"] for r in tag_query.list_saved(sw)] == [shared]


def test_shared_query_with_a_colleagues_area_runs_in_my_scope(own_db):
    leader = scope("leader_zlk")
    sid = tag_query.save_query(
        leader, "红梅社区老人", spec(all_=["elderly"], org="330102009002"), shared=True
    )
    sw = scope("sw_tianxian")
    loaded = tag_query.load_saved(sw, sid)
    assert loaded["org_code"] is None
    assert tag_query.count(sw, loaded) == len(in_scope(sw.org_code) & tagged("elderly"))


def test_saving_refuses_bad_names_and_specs(own_db):
    sw = scope("sw_tianxian")
    with pytest.raises(tag_query.QueryError, match="名称"):
        tag_query.save_query(sw, "  ", spec())
    with pytest.raises(tag_query.QueryError, match="50"):
        tag_query.save_query(sw, "名" * 51, spec())
    with pytest.raises(tag_query.QueryError):
        tag_query.save_query(sw, "坏查询", spec(all_=["no_such_tag"]))
    with pytest.raises(AccessDenied):
        tag_query.save_query(scope("leader_zlk"), "低保", spec(all_=["dibao"]))
    assert tag_query.list_saved(sw) == []
