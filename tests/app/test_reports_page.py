"""报表中心 pages in AppTest: catalogue filters by role, preview, blocked templates, batch, runs."""

from __future__ import annotations

import io

import pytest
from test_pages import logged_in_app

from yibiaotong import auth, db, jobs, reports


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
    with db.cursor() as cur:  # 80+ 户籍 residents of the street, counted by hand
        expected, first_ids = cur.execute(
            "select count(*), list(e.id_number order by e.grid_code) from resident e "
            "join entity_tag et on et.entity_id = e.id and et.entity = 'resident' "
            "join tag t on t.id = et.tag_id and t.code = 'elderly_80' "
            "where e.status = 'active' and e.residence_type = '1' and starts_with(e.grid_code, $o)",
            {"o": "330102009"},
        ).fetchone()
    assert expected > 0
    assert metric(at, "行数") == f"{expected:,} 人"
    assert metric(at, "敏感信息") == "已脱敏"
    frame = at.dataframe[1].value
    assert list(frame.columns[:3]) == ["序号", "姓名", "性别"]
    assert len(frame) == min(expected, 20) and list(frame["序号"]) == list(range(1, len(frame) + 1))
    masked = {f"{i[:6]}{'*' * 10}{i[-2:]}" for i in first_ids}  # region and last two only
    assert set(frame["公民身份号码"]) <= masked
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
    # the zip waits in the job's result file: the session holds no file contents
    held = {k: type(v).__name__ for k, v in at.session_state.items()}
    assert not {k: t for k, t in held.items() if t in ("bytes", "bytearray", "BytesIO")}, held
    with db.cursor() as cur:
        logged = cur.execute(
            "select count(*) from report_run where batch_id = $b", {"b": job_id}
        ).fetchone()[0]
    assert logged == 3


@pytest.fixture(scope="module")
def runs_db(module_db):
    """A copy of the fixture district where each role has produced reports, some twice."""
    import os

    from yibiaotong import auth, reports

    os.environ["YIBIAOTONG_DB"] = str(module_db)
    for username, codes in (
        ("leader_zlk", ["zz_party_members", "zz_party_members", "ga_floating"]),
        ("weijian", ["wj_newborn", "wj_newborn", "wj_childcare_subsidy"]),
        ("sw_tianxian", ["mz_elderly_allowance", "ga_floating"]),
    ):
        scope = auth.scope_for(username)
        for code in codes:
            reports.generate(scope, code, io.BytesIO())
    return module_db


def _expected_savings(username: str) -> tuple[int, float]:
    """Forms and hours for a user's scope straight from report_run (department staff: their
    department's templates), each form counted once per template, unit and period."""
    from yibiaotong import auth

    scope = auth.scope_for(username)
    department = scope.department if scope.role == "dept_staff" else None
    with db.cursor() as cur:
        rows = cur.execute(
            "select r.template_code, r.org_code, r.period, t.manual_minutes, t.department "
            "from report_run r join report_template t "
            "on t.code = r.template_code and t.version = r.template_version "
            "where starts_with(r.org_code, $o)",
            {"o": scope.org_code},
        ).fetchall()
    forms = {(c, o, p): m for c, o, p, m, d in rows if department in (None, d)}
    return len(forms), round(sum(forms.values()) / 60, 1)


@pytest.mark.parametrize("username", ["admin", "leader_zlk", "weijian", "sw_tianxian"])
def test_run_log_page_shows_hours_saved(runs_db, monkeypatch, username):
    monkeypatch.setenv("YIBIAOTONG_DB", str(runs_db))
    forms, hours = _expected_savings(username)
    assert forms > 0
    at = logged_in_app(username)
    at.switch_page("app_pages/report_runs.py").run()
    assert not at.exception, at.exception
    assert metric(at, "累计生成报表") == f"{forms:,} 张"
    assert metric(at, "累计节省人工") == f"{hours:,} 小时"
    assert metric(at, "本月生成报表") == f"{forms:,} 张"


def test_admin_edits_a_template_and_saves_a_new_version(writable_db):
    at = logged_in_app("admin")
    at.switch_page("app_pages/report_editor.py").run()
    assert not at.exception, at.exception
    at.selectbox(key="re_code").select("mz_tekun").run()
    assert not at.exception, at.exception
    assert at.text_input(key="re_mz_tekun_name").value == "特困人员救助供养名册"
    with db.cursor() as cur:  # 特困 residents of the district, counted by hand
        expected = cur.execute(
            "select count(*) from resident e join entity_tag et on et.entity_id = e.id "
            "and et.entity = 'resident' join tag t on t.id = et.tag_id and t.code = 'tekun' "
            "where e.status = 'active'"
        ).fetchone()[0]
    caption = next(c.value for c in at.caption if "预览前" in c.value)
    assert caption == f"按当前设置共 {expected:,} 行，预览前 {min(expected, 20)} 行："
    preview = at.dataframe[-2].value  # the last one is the version history
    defn = reports.template(auth.scope_for("admin"), "mz_tekun")["definition"]
    assert list(preview.columns) == ["序号", *(c["header"] for c in defn["columns"])]
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

    admin = auth.scope_for("admin")
    before = reports.template(admin, code)["definition"]
    at = logged_in_app("admin")
    at.switch_page("app_pages/report_editor.py").run()
    at.selectbox(key="re_code").select(code).run()
    assert not at.warning, [w.value for w in at.warning]
    at.button(key=f"re_{code}_save").click().run()
    assert not at.exception, at.exception
    after = reports.template(admin, code)
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
