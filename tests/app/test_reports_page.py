"""报表中心 pages in AppTest: catalogue filters by role, preview, blocked templates, batch, runs."""

from __future__ import annotations

import pytest
from test_pages import logged_in_app

from yibiaotong import auth, db, jobs


def open_reports(username: str):
    at = logged_in_app(username)
    at.switch_page("app_pages/reports.py").run()
    assert not at.exception, at.exception
    return at


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_department_staff_start_with_their_department(use_fixture_db):
    at = open_reports("weijian")
    assert at.selectbox(key="rc_dept").value == "weijian"
    options = at.selectbox(key="rc_code").options
    assert options and all("区卫健局" in o for o in options)
    assert any("二孩三孩育儿补助申领名册" in o for o in options)
    assert at.get("download_button")


def test_leader_previews_a_roster_and_sees_the_row_count(use_fixture_db):
    at = open_reports("leader_zlk")
    at.text_input(key="rc_search").input("高龄津贴").run()
    assert at.selectbox(key="rc_code").value == "mz_elderly_allowance"
    count = metric(at, "行数")
    expected = db.fetch_value("ledger/count_residents")  # sanity: the district has people
    assert expected and count.endswith("人")
    assert metric(at, "敏感信息") == "已脱敏"
    frame = at.dataframe[1].value
    assert list(frame.columns[:3]) == ["序号", "姓名", "性别"]
    assert all("*" in v for v in frame["公民身份号码"])
    assert not at.error


def test_sensitive_template_is_explained_not_offered(use_fixture_db):
    at = open_reports("leader_zlk")
    at.text_input(key="rc_search").input("低保").run()
    assert at.selectbox(key="rc_code").value == "mz_dibao_members"
    assert any("敏感" in w.value for w in at.warning)
    assert not at.get("download_button")


def test_search_without_hits_says_so(use_fixture_db):
    at = open_reports("sw_tianxian")
    at.text_input(key="rc_search").input("没有这种报表").run()
    assert any("没有符合条件" in i.value for i in at.info)


def test_batch_zip_runs_as_a_job_and_offers_its_download(writable_db):
    at = open_reports("leader_zlk")
    at.selectbox(key="rb_dept").select("minzheng").run()
    at.button(key="rb_make").click().run()
    assert not at.exception, at.exception
    job_id = at.session_state["rb_job"]
    leader = auth.scope_for("leader_zlk")
    row = jobs.wait(leader, job_id, timeout=120)
    assert row["state"] == "done", row["message"]
    at.run()
    assert any(
        "已生成 3 张" in s.value for s in at.success
    )  # 5 templates, 低保 and 特困 need clearance
    assert at.get("download_button")
    with db.cursor() as cur:
        logged = cur.execute(
            "select count(*) from report_run where batch_id = $b", {"b": job_id}
        ).fetchone()[0]
    assert logged == 3


@pytest.mark.parametrize("username", ["admin", "leader_zlk", "weijian", "sw_tianxian"])
def test_run_log_page_shows_hours_saved(use_fixture_db, username):
    at = logged_in_app(username)
    at.switch_page("app_pages/report_runs.py").run()
    assert not at.exception, at.exception
    assert {m.label for m in at.metric} >= {"本月生成报表", "累计节省人工"}


def test_admin_edits_a_template_and_saves_a_new_version(writable_db):
    at = logged_in_app("admin")
    at.switch_page("app_pages/report_editor.py").run()
    assert not at.exception, at.exception
    at.selectbox(key="re_code").select("mz_tekun").run()
    assert not at.exception, at.exception
    assert at.text_input(key="re_mz_tekun_name").value == "特困人员救助供养名册"
    assert any("预览前" in c.value for c in at.caption)
    at.text_input(key="re_mz_tekun_name").input("特困人员救助供养名册（2026版）").run()
    at.button(key="re_mz_tekun_save").click().run()
    assert not at.exception, at.exception
    assert any("第 2 版" in s.value for s in at.success)
    with db.cursor() as cur:
        row = cur.execute(
            "select name, source, created_by from report_template where code = 'mz_tekun' and version = 2"
        ).fetchone()
    assert row == ("特困人员救助供养名册（2026版）", "editor", "admin")


def test_new_template_starts_incomplete_and_cannot_be_saved(use_fixture_db):
    at = logged_in_app("admin")
    at.switch_page("app_pages/report_editor.py").run()
    assert not at.exception, at.exception
    assert any("模板尚不完整" in w.value for w in at.warning)
    assert at.button(key="re___new___save").disabled


def test_summary_templates_are_shown_read_only(use_fixture_db):
    at = logged_in_app("admin")
    at.switch_page("app_pages/report_editor.py").run()
    at.selectbox(key="re_code").select("tj_population_structure").run()
    assert not at.exception, at.exception
    assert any("YAML" in i.value for i in at.info)


@pytest.mark.parametrize(
    "code",
    ["mz_elderly_allowance", "wj_childcare_subsidy", "xf_rental_fire_check", "cg_three_guarantees"],
)
def test_editor_round_trip_keeps_the_definition(writable_db, code):
    from yibiaotong import reports

    before = reports.template(code)["definition"]
    at = logged_in_app("admin")
    at.switch_page("app_pages/report_editor.py").run()
    at.selectbox(key="re_code").select(code).run()
    assert not at.warning, [w.value for w in at.warning]
    at.button(key=f"re_{code}_save").click().run()
    assert not at.exception, at.exception
    after = reports.template(code)
    assert after["version"] == 2
    assert {**after["definition"], "version": 1} == before


def test_tag_queries_saved_as_reports_are_listed(writable_db):
    import io

    import openpyxl

    from yibiaotong import auth, reports, tag_query

    leader = auth.scope_for("leader_zlk")
    spec = {"entity": "resident", "tags": {"all": ["elderly_80"]}}
    saved_id = tag_query.save_query(leader, "闸弄口高龄老人", spec, shared=True)
    tag_query.set_as_report(leader, saved_id)
    at = open_reports("leader_zlk")
    assert at.selectbox(key="rc_saved").value == saved_id
    data = reports.saved_query_bytes(leader, saved_id)
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws.max_row > 2
