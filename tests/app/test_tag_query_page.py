"""标签查询 page in AppTest: the article's three clicks, masking, bad input, saved queries, rules tab."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest
from test_pages import DEMO_BY_ROLE, logged_in_app

from yibiaotong import auth, db, tag_query, tags
from yibiaotong.ui.pages import ALL_ROLES


@pytest.fixture
def own_db(fixture_db, tmp_path, monkeypatch):
    db.close_all()
    path = tmp_path / "copy.duckdb"
    shutil.copy(fixture_db, path)
    shutil.copy(fixture_db.with_suffix(".cookie_key"), path.with_suffix(".cookie_key"))
    monkeypatch.setenv("YIBIAOTONG_DB", str(path))
    with db.transaction() as cur:
        tags.refresh_rules(cur)
    yield path
    db.close_all()


def open_page(username: str):
    at = logged_in_app(username)
    at.switch_page("app_pages/tag_query.py").run()
    assert not at.exception, at.exception
    return at


def checkbox(at, code: str, entity: str = "resident"):
    return next(c for c in at.checkbox if c.key == f"tq_cb_{entity}_{code}")


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_role_opens_the_page(own_db, role):
    at = open_page(DEMO_BY_ROLE[role])
    assert [t.value for t in at.title] == ["标签查询"]
    assert not at.error
    expected = ["查询", "已保存的查询"] + (["规则标签维护"] if role == "district_admin" else [])
    assert [t.label for t in at.tabs] == expected
    assert "符合条件" in metrics(at)


def test_three_clicks_find_second_and_multi_child_families(own_db):
    at = open_page("leader_zlk")
    assert any(e.label.startswith("计划生育") for e in at.expander)
    checkbox(at, "second_child").check().run()
    checkbox(at, "multi_child").check().run()
    assert not at.exception
    scope = auth.scope_for("leader_zlk")
    spec = {"entity": "resident", "tags": {"any": ["second_child", "multi_child"]}}
    totals = tag_query.summary(scope, spec)
    shown = metrics(at)
    assert shown["符合条件"] == f"{totals['count']:,} 人"
    assert shown["涉及家庭"] == f"{totals['households']:,} 户"
    assert shown["育儿补助合计"] == f"¥{totals['subsidy']:,}"
    frame = at.dataframe[0].value
    assert {"育儿补助（元）", "孩次", "母亲", "户号", "户主"} <= set(frame.columns)
    assert set(frame["育儿补助（元）"]) <= {5000, 20000}
    # Street leaders are not cleared: ID numbers are masked before they reach the widget.
    assert frame["身份证号"].dropna().str.contains(r"\*{8}").all()


def test_cleared_social_worker_sees_full_ids_in_her_community(own_db):
    at = open_page("sw_tianxian")
    checkbox(at, "elderly_80").check().run()
    frame = at.dataframe[0].value
    assert frame["身份证号"].dropna().str.fullmatch(r"\d{17}[\dX]").all()
    assert set(frame["所属社区"]) == {"天仙社区"}


def test_sensitive_tags_are_hidden_from_uncleared_roles(own_db):
    leader = {c.key for c in open_page("leader_zlk").checkbox}
    admin = {c.key for c in open_page("admin").checkbox}
    assert "tq_cb_resident_dibao" in admin
    assert "tq_cb_resident_dibao" not in leader
    assert "tq_cb_resident_elderly" in leader


def test_search_finds_tags_by_name_and_keeps_the_choice(own_db):
    at = open_page("leader_zlk")
    checkbox(at, "elderly").check().run()
    at.text_input(key="tq_search_resident").input("独居").run()
    labels = [c.label for c in at.checkbox if c.key.startswith("tq_cb_")]
    assert labels and all("独居" in label for label in labels)
    checkbox(at, "living_alone").check().run()
    at.text_input(key="tq_search_resident").input("").run()
    assert checkbox(at, "elderly").value and checkbox(at, "living_alone").value


def test_modes_give_and_or_not(own_db):
    scope = auth.scope_for("leader_zlk")
    at = open_page("leader_zlk")
    checkbox(at, "elderly").check().run()
    checkbox(at, "living_alone").check().run()
    at.segmented_control(key="tq_mode_resident_elderly").set_value("all").run()
    at.segmented_control(key="tq_mode_resident_living_alone").set_value("none").run()
    expected = tag_query.count(
        scope, {"entity": "resident", "tags": {"all": ["elderly"], "none": ["living_alone"]}}
    )
    assert metrics(at)["符合条件"] == f"{expected:,} 人"


def test_not_only_and_empty_results_explain_themselves(own_db):
    at = open_page("leader_zlk")
    checkbox(at, "elderly").check().run()
    at.segmented_control(key="tq_mode_resident_elderly").set_value("none").run()
    assert any("只设置了“非”" in i.value for i in at.info)
    at.segmented_control(key="tq_mode_resident_elderly").set_value("all").run()
    checkbox(at, "newborn").check().run()
    at.segmented_control(key="tq_mode_resident_newborn").set_value("all").run()
    assert metrics(at)["符合条件"] == "0 人"
    assert any("没有符合条件的记录" in i.value for i in at.info)
    assert not at.error and not at.exception


def test_age_and_area_conditions(own_db):
    at = open_page("leader_zlk")
    at.selectbox(key="tq_area_community").set_value("330102009001").run()
    at.number_input(key="tq_age_min").set_value(80).run()
    at.pills(key="tq_quick_resident_sex").set_value(["2"]).run()
    expected = tag_query.count(
        auth.scope_for("leader_zlk"),
        {
            "entity": "resident",
            "org_code": "330102009001",
            "conditions": [
                {"field": "age", "op": ">=", "value": 80},
                {"field": "resident_sex", "op": "in", "value": ["2"]},
            ],
        },
    )
    assert metrics(at)["符合条件"] == f"{expected:,} 人"
    assert set(at.dataframe[0].value["所属社区"]) == {"天仙社区"}


def test_house_query_switches_the_taxonomy(own_db):
    at = open_page("leader_zlk")
    at.segmented_control(key="tq_entity").set_value("house").run()
    checkbox(at, "group_rented", "house").check().run()
    frame = at.dataframe[0].value
    assert set(frame["使用情况"]) == {"群租"}
    assert "户" not in metrics(at)["符合条件"]


def exports_logged() -> int:
    with db.cursor() as cur:
        return cur.execute(
            "select count(*) from access_log where action = 'tag_query_export'"
        ).fetchone()[0]


def test_export_button_offers_the_file(own_db):
    # The fixture district may carry exports of earlier tests (the permissions walk): count ours.
    before = exports_logged()
    at = open_page("leader_zlk")
    checkbox(at, "second_child").check().run()
    at.button(key="tq_make_xlsx").click().run()
    assert not at.exception and not at.error
    assert exports_logged() == before + 1
    assert "下载 Excel" in str([el.proto for el in at.get("download_button")])


def test_save_then_rerun_from_the_saved_tab(own_db):
    at = open_page("sw_tianxian")
    checkbox(at, "second_child").check().run()
    checkbox(at, "multi_child").check().run()
    at.text_input(key="tq_save_name").input("本社区二孩多孩").run()
    at.checkbox(key="tq_save_shared").check().run()
    at.button(key="tq_save").click().run()
    assert not at.exception
    at.session_state["tq_tab"] = "已保存的查询"
    at.run()
    assert any("本社区二孩多孩" in m.value for m in at.markdown)
    saved_id = tag_query.list_saved(auth.scope_for("sw_tianxian"))[0]["id"]

    # A fresh session of a colleague up the line runs the shared query.
    other = open_page("leader_zlk")
    other.session_state["tq_tab"] = "已保存的查询"
    other.run()
    other.button(key=f"tq_run_{saved_id}").click().run()
    assert not other.exception
    assert checkbox(other, "second_child").value and checkbox(other, "multi_child").value
    assert "育儿补助合计" in metrics(other)


def test_rules_tab_shows_the_stored_rule_and_saving_it_tags_the_right_people(own_db):
    """The tab shows the rule stored for the picked tag, and saving it retags exactly the
    residents an independent age computation finds (a stub tab would show and count nothing)."""
    at = open_page("admin")
    at.session_state["tq_tab"] = "规则标签维护"
    at.run()
    rule_tags = [t for t in tags.tag_index() if t["kind"] == "rule"]
    index = next(i for i, t in enumerate(rule_tags) if t["code"] == "elderly_80")
    at.selectbox(key="tq_rule_tag").select_index(index).run()
    assert not at.exception
    with db.cursor() as cur:
        stored = cur.execute("select rule from tag where code = 'elderly_80'").fetchone()[0]
    stored = json.loads(stored) if isinstance(stored, str) else stored
    assert stored["conditions"] == [{"field": "age", "op": ">=", "value": 80}]
    shown = [c.value for c in at.caption if c.value.startswith("当前规则：")]
    assert len(shown) == 1 and "年龄" in shown[0] and "80" in shown[0], shown
    rows = at.data_editor(key="tq_rule_rows_elderly_80").value.to_dict("records")
    assert rows == [{"字段": "年龄", "运算": "大于等于", "取值": "80"}]

    with db.cursor() as cur:
        cur.execute(
            "delete from entity_tag where tag_id = (select id from tag where code = 'elderly_80')"
        )
        people = cur.execute("select birth_date from resident where status = 'active'").fetchall()
    today = date.today()
    aged = sum(
        1
        for (born,) in people
        if born
        and today.year - born.year - ((today.month, today.day) < (born.month, born.day)) >= 80
    )
    at.button(key="tq_rule_save").click().run()
    assert not at.exception
    assert [t.value for t in at.toast] == [f"已保存“高龄老人”，现有 {aged:,} 条记录带此标签"]
    with db.cursor() as cur:
        tagged = cur.execute(
            "select count(*) from entity_tag where tag_id = (select id from tag where code = 'elderly_80')"
        ).fetchone()[0]
    assert tagged == aged > 0


def test_a_missing_phone_is_shown_blank(own_db):
    """Streamlit paints "None" into every missing cell unless the table says otherwise: the list
    of a community with residents without a phone must say blank."""
    at = open_page("sw_tianxian")
    table = at.dataframe[0]
    phones = table.value["联系电话"]
    assert phones.isna().any(), "the first page should hold someone without a phone"
    assert table.proto.HasField("placeholder") and table.proto.placeholder == ""


def test_a_rerun_that_brings_the_entity_back_empty_still_shows_residents(own_db):
    """Under load a rerun arrived with 查询对象 empty and the page failed (10 browsers at once);
    the page falls back to residents instead."""
    at = open_page("leader_zlk")
    at.session_state["tq_entity"] = None
    checkbox(at, "second_child").check().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    scope = auth.scope_for("leader_zlk")
    spec = {"entity": "resident", "tags": {"any": ["second_child"]}}
    assert metrics(at)["符合条件"] == f"{tag_query.summary(scope, spec)['count']:,} 人"
