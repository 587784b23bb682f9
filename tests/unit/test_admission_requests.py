"""报表准入: a department's request from submission to a generated report, its log, its expiry
and renewal, who sees what, and the bad input that must change nothing."""

from __future__ import annotations

import io
import sys
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest

from yibiaotong import admission, auth, dashboard, db, reports
from yibiaotong.admission import templates as form_templates
from yibiaotong.scope import AccessDenied

sys.path.insert(0, str(Path(__file__).parent))
import admission_forms as af  # noqa: E402

DISTRICT = "330102"


def count(sql: str, params: dict | None = None) -> int:
    with db.cursor() as cur:
        return cur.execute(sql, params or {}).fetchone()[0]


def meta(title: str = "高龄老人健康随访名册", **changes) -> admission.RequestMeta:
    values = {
        "title": title,
        "purpose": "掌握辖区高龄老人健康状况，按月开展上门随访",
        "legal_basis": "《浙江省老年人权益保障条例》第二十条",
        "frequency": "monthly",
        "org_code": DISTRICT,
        "period": "每月末",
        "entity": "resident",
        "expires_on": date.today() + timedelta(days=365),
        "tags": ("elderly_80",),
    }
    values.update(changes)
    return admission.RequestMeta(**values)


FIELDS = ["resident_name", "resident_sex", "resident_id_number", "age", "community"]


def fields(extra: tuple[str, ...] = ("血型",)) -> list[admission.RequestedField]:
    picked = admission.picked("resident", FIELDS)
    return picked + [admission.RequestedField(h, None, None, "none", 0.0) for h in extra]


@pytest.fixture
def people(writable_db):
    """The demo department staff (卫健), a second department's staff (民政) and the admin."""
    admin = auth.scope_for("admin")
    auth.add_user(
        admin, "mz_staff", "民政科员", "Lotus-Pond-4417-Qx", "dept_staff", DISTRICT, "minzheng"
    )
    return auth.scope_for("weijian"), auth.scope_for("mz_staff"), admin


def steps(request_id: int) -> list[tuple[str, str | None, str]]:
    with db.cursor() as cur:
        return cur.execute(
            "select action, from_state, to_state from report_request_step "
            "where request_id = $id order by step",
            {"id": request_id},
        ).fetchall()


def test_approved_request_enters_catalogue_and_generates(people):
    staff, _, admin = people
    request_id = admission.submit(staff, meta(), fields())
    row = admission.get(admin, request_id)
    assert row["state"] == "submitted" and row["department"] == "weijian"
    code = admission.approve_new(admin, request_id, row["version"])

    t = reports.template(admin, code)
    assert (t["department"], t["frequency"], t["version"]) == ("weijian", "monthly", 1)
    assert t["valid_to"] == meta().expires_on
    headers = [c["header"] for c in t["definition"]["columns"]]
    assert headers == ["姓名", "性别", "身份证号", "年龄", "所属社区", "血型"]
    assert t["definition"]["columns"][-1] == {"blank": True, "header": "血型"}

    data, run = reports.generate_bytes(staff, code)
    expected = count(
        "select count(*) from resident e where e.status = 'active' and e.id in ("
        " select entity_id from entity_tag et join tag on tag.id = et.tag_id"
        " where et.entity = 'resident' and tag.code = 'elderly_80')"
    )
    assert run.rows == expected > 0
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    printed = {str(c.value) for row in ws.iter_rows(max_row=8) for c in row if c.value}
    assert {"姓名", "身份证号", "血型"} <= printed
    assert admission.get(staff, request_id)["template_code"] == code


def test_every_state_change_is_logged(people):
    staff, _, admin = people
    before = count("select count(*) from access_log where action like 'admission_%'")
    request_id = admission.submit(staff, meta(), fields())
    admission.return_request(admin, request_id, 1, "请说明随访结果用于哪项考核")
    row = admission.get(staff, request_id)
    assert (row["state"], row["note"]) == ("returned", "请说明随访结果用于哪项考核")
    admission.resubmit(
        staff, request_id, row["version"], "用于家庭医生签约服务考核", {"period": "每季末"}
    )
    row = admission.get(admin, request_id)
    admission.reject(admin, request_id, row["version"], "与卫健局现有随访系统重复")

    assert steps(request_id) == [
        ("submit", None, "submitted"),
        ("return", "submitted", "returned"),
        ("resubmit", "returned", "submitted"),
        ("reject", "submitted", "rejected"),
    ]
    final = admission.get(staff, request_id)
    assert final["state"] == "rejected" and final["note"] == "与卫健局现有随访系统重复"
    assert final["period"] == "每季末"
    assert [s["note"] for s in final["steps"]][1:] == [
        "请说明随访结果用于哪项考核",
        "用于家庭医生签约服务考核",
        "与卫健局现有随访系统重复",
    ]
    after = count("select count(*) from access_log where action like 'admission_%'")
    assert after - before == 4


def test_department_sees_only_its_own_requests(people):
    weijian, minzheng, admin = people
    own = admission.submit(weijian, meta(), fields())
    other = admission.submit(minzheng, meta("低保家庭走访名册", tags=()), fields())
    assert [r["id"] for r in admission.list_requests(weijian)] == [own]
    assert [r["id"] for r in admission.list_requests(minzheng)] == [other]
    assert {r["id"] for r in admission.list_requests(admin)} == {own, other}
    with pytest.raises(admission.AdmissionError, match="不属于您的部门"):
        admission.get(weijian, other)
    with pytest.raises(admission.AdmissionError, match="不属于您的部门"):  # a row got elsewhere
        admission.assessment_of(weijian, admission.get(admin, other))
    assert admission.assessment_of(weijian, admission.get(admin, own)).fields
    with pytest.raises(admission.AdmissionError):
        admission.withdraw(weijian, other, 1)
    for role_user in ("leader_zlk", "sw_tianxian"):
        with pytest.raises(AccessDenied):
            admission.list_requests(auth.scope_for(role_user))
    with pytest.raises(AccessDenied):  # only the admin reviews
        admission.approve_new(weijian, own, 1)
    with pytest.raises(AccessDenied):  # only department staff request
        admission.submit(admin, meta("管理员自己的表"), fields())


def test_stale_and_repeated_decisions_are_refused(people):
    staff, _, admin = people
    request_id = admission.submit(staff, meta(), fields())
    admission.return_request(admin, request_id, 1, "请补充依据文号")
    with pytest.raises(admission.AdmissionError, match="不能审核"):
        admission.approve_new(admin, request_id, 1)
    admission.resubmit(staff, request_id, 2, "依据：浙民养〔2023〕1号")
    with pytest.raises(admission.AdmissionError, match="已被他人处理"):
        admission.approve_new(admin, request_id, 2)  # the version before the resubmission
    templates_before = count("select count(*) from report_template")
    admission.approve_new(admin, request_id, 3)
    with pytest.raises(admission.AdmissionError, match="不能审核"):
        admission.approve_new(admin, request_id, 4)
    assert count("select count(*) from report_template") == templates_before + 1


def test_duplicate_submission_is_refused_and_creates_nothing(people):
    staff, _, _ = people
    admission.submit(staff, meta(), fields())
    before = count("select count(*) from report_request")
    with pytest.raises(admission.AdmissionError, match="请勿重复提交"):
        admission.submit(staff, meta(), fields())
    with pytest.raises(admission.AdmissionError, match="请勿重复提交"):  # same title, other fields
        admission.submit(staff, meta(), fields(("鞋码",)))
    assert count("select count(*) from report_request") == before


@pytest.mark.parametrize(
    ("changes", "field_list", "message"),
    [
        ({}, [], "没有任何字段"),
        ({"title": "表"}, None, "报表名称"),
        ({"purpose": ""}, None, "用途说明"),
        ({"legal_basis": "=HYPERLINK(1)"}, None, "不能以"),
        ({"frequency": "hourly"}, None, "报送频次"),
        ({"expires_on": date.today()}, None, "晚于今天"),
        ({"expires_on": date.today() + timedelta(days=3 * 366 + 2)}, None, "最长 3 年"),
        ({"tags": ("no_such_tag",)}, None, "人群标签"),
    ],
)
def test_bad_request_gets_a_reason_and_changes_nothing(people, changes, field_list, message):
    staff, _, _ = people
    before = count("select count(*) from report_request") + count(
        "select count(*) from report_request_step"
    )
    with pytest.raises(admission.AdmissionError, match=message):
        admission.submit(staff, meta(**changes), fields() if field_list is None else field_list)
    after = count("select count(*) from report_request") + count(
        "select count(*) from report_request_step"
    )
    assert after == before


def test_request_outside_scope_and_over_forty_fields(people):
    staff, _, _ = people
    street_staff = auth.scope_for("leader_zlk")
    with pytest.raises(AccessDenied):
        admission.submit(street_staff, meta(), fields())
    too_many = [admission.RequestedField(f"自定义项{i}", None) for i in range(41)]
    with pytest.raises(admission.AdmissionError, match="最多 40 个"):
        admission.submit(staff, meta(), too_many)
    form = af.wide_form(300)
    shapes, _ = admission.read_forms(form, "宽表.xlsx")
    assert len(shapes[0].columns) == 300  # read in full, then refused as a request
    matches = admission.match_headers(shapes[0].columns, "resident")
    with pytest.raises(admission.AdmissionError, match="最多 40 个"):
        admission.submit(staff, meta(), admission.decide(matches, {}), shapes[0])


def test_uploaded_form_asks_before_guessing_and_refuses_lookalike(people):
    staff, _, admin = people
    spec = next(s for s in af.FORMS if "重残无业" in s.title)
    shapes, _ = admission.read_forms(af.build(spec), spec.file)
    shape = shapes[0]
    matches = admission.match_headers(shape.columns, "resident")
    unsettled = [
        i for i, m in enumerate(matches) if m.status not in ("exact", "remembered", "none")
    ]
    if unsettled:
        with pytest.raises(admission.AdmissionError, match="需要您确认"):
            admission.decide(matches, {})
    card = shape.headers.index("残疾证号")
    with pytest.raises(admission.AdmissionError):  # a disability card number is no ID number
        admission.decide(matches, {**dict.fromkeys(unsettled), card: "resident_id_number"})
    decided = admission.decide(matches, dict.fromkeys(unsettled))
    request_id = admission.submit(staff, meta("重残无业人员情况表"), decided, shape)
    row = admission.get(admin, request_id)
    code = admission.approve_new(admin, request_id, row["version"])
    t = reports.template(admin, code)
    printed = [c["header"] for c in t["definition"]["columns"]]
    assert printed == [h for h in shape.headers if h != "序号"]  # the form's own columns, in order
    assert t["definition"]["layout"]["seq"] is True
    assert t["definition"]["layout"]["note"] == shape.notes[0]


def _expire(admin, code: str, valid_to: date) -> None:
    """A new version of the template approved a year ago and running to `valid_to`."""
    t = reports.template(admin, code)
    approved = date.today() - timedelta(days=365)
    reports.save_version(admin, {**t["definition"], "valid_from": approved, "valid_to": valid_to})


def test_expired_template_refuses_and_renewal_restores(people):
    staff, other, admin = people
    request_id = admission.submit(staff, meta(), fields())
    code = admission.approve_new(admin, request_id, 1)
    yesterday = date.today() - timedelta(days=1)
    _expire(admin, code, yesterday)

    with pytest.raises(reports.ReportError, match=f"已于 {yesterday:%Y-%m-%d} 到期"):
        reports.generate_bytes(staff, code)
    listed = {t["code"]: t for t in reports.templates(staff)}
    assert listed[code]["expired_on"] == yesterday and not listed[code]["runnable"]
    assert "到期" in listed[code]["blocked_by"]
    reminders = admission.expiring(staff)
    assert [(r["code"], r["expired"]) for r in reminders] == [(code, True)]
    assert admission.expiring(other) == []  # another department is not reminded

    with pytest.raises(AccessDenied):
        admission.request_renewal(other, code, "民政也想用", date.today() + timedelta(days=30))
    renewal = admission.request_renewal(
        staff, code, "随访工作延续到下一年度", date.today() + timedelta(days=400)
    )
    assert admission.expiring(staff)[0]["renewal_request"] == renewal
    with pytest.raises(admission.AdmissionError, match="请勿重复提交"):
        admission.request_renewal(staff, code, "再申请一次", date.today() + timedelta(days=30))
    version = admission.renew(admin, renewal, 1)
    t = reports.template(admin, code)
    assert t["version"] == version and t["valid_to"] == date.today() + timedelta(days=400)
    _, run = reports.generate_bytes(staff, code)
    assert run.version == version
    assert steps(renewal) == [
        ("request_renewal", None, "submitted"),
        ("renew", "submitted", "renewed"),
    ]
    assert admission.expiring(staff) == []


def test_reminder_thirty_days_before(people):
    staff, _, admin = people
    code = admission.approve_new(admin, admission.submit(staff, meta(), fields()), 1)
    _expire(admin, code, date.today() + timedelta(days=31))
    assert admission.expiring(staff) == []
    _expire(admin, code, date.today() + timedelta(days=30))
    (reminder,) = admission.expiring(staff)
    assert (reminder["code"], reminder["days_left"], reminder["expired"]) == (code, 30, False)
    _, run = reports.generate_bytes(staff, code)  # still in force
    assert run.rows >= 0


def test_approve_as_existing_template_with_field_map(people):
    staff, other, admin = people
    wanted = admission.picked(
        "resident", ["resident_name", "resident_id_number", "age", "community"]
    )
    request_id = admission.submit(staff, meta("八十岁以上老人名单"), wanted)
    proposed = admission.default_field_map(
        admin, admission.get(admin, request_id), "mz_elderly_allowance"
    )
    assert proposed == {
        "姓名": "姓名",
        "身份证号": "公民身份号码",
        "年龄": "年龄",
        "所属社区": "所属社区",
    }
    with pytest.raises(admission.AdmissionError, match="不是报表"):
        admission.approve_existing(
            admin, request_id, 1, "mz_elderly_allowance", {"姓名": "没有这列"}
        )
    admission.approve_existing(admin, request_id, 1, "mz_elderly_allowance", proposed)
    row = admission.get(staff, request_id)
    assert (row["state"], row["template_code"], row["field_map"]) == (
        "approved_existing",
        "mz_elderly_allowance",
        proposed,
    )
    assert "高龄津贴发放花名册" in row["note"] and "4/4" in row["note"]
    assert reports.store.granted(staff) == {"mz_elderly_allowance"}
    assert reports.store.granted(other) == set()
    # The department now uses the existing roster: it is listed for them and generates.
    assert "mz_elderly_allowance" in {t["code"] for t in reports.templates(staff)}
    _, run = reports.generate_bytes(staff, "mz_elderly_allowance")
    assert run.rows > 0


def test_template_expiry_never_passes_three_years(people):
    assert form_templates.three_years_from(date(2024, 2, 29)) == date(2027, 2, 28)
    assert admission.latest_expiry(date(2026, 5, 1)) == date(2029, 5, 1)


def test_figures_count_requests_and_templates(people):
    staff, other, admin = people
    base = admission.figures()
    assert dashboard.figures(admin).usage["admission"] == base  # cached until a change
    first = admission.submit(staff, meta(), fields())
    second = admission.submit(other, meta("低保家庭走访名册", tags=()), fields())
    third = admission.submit(
        staff, meta("老人名单", tags=()), admission.picked("resident", ["resident_name"])
    )
    admission.approve_new(admin, first, 1)
    admission.reject(admin, second, 1, "重复")
    admission.approve_existing(admin, third, 1, "mz_elderly_allowance")
    now = admission.figures()
    assert now["received"] - base["received"] == 3
    assert now["approved"] - base["approved"] == 1
    assert now["rejected"] - base["rejected"] == 1
    assert now["merged"] - base["merged"] == 1
    assert now["templates_active"] - base["templates_active"] == 1
    in_force = sum(reports.in_force(t) for t in db.fetch_dicts("reports/list_templates"))
    assert now["templates_active"] == in_force

    # The same figures on the dashboard's usage panel and in its Excel summary.
    figs = dashboard.figures(admin)
    assert figs.usage["admission"] == now
    wb = openpyxl.load_workbook(io.BytesIO(dashboard.summary_xlsx(figs)))
    usage = {r[0]: r[1] for r in wb["一表通使用"].iter_rows(min_row=3, values_only=True) if r[0]}
    assert usage["报表准入：收到新报表申请"] == now["received"]
    assert usage["报表准入：并入现有报表"] == now["merged"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (af.not_a_form(), "没有找到表头行"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "旧版 .xls"),
        (b"%PDF-1.4 not a workbook", "不是有效的 Excel 文件"),
        (b"", "文件为空"),
    ],
)
def test_an_upload_that_is_not_a_form_is_refused_with_a_reason(people, data, message):
    with pytest.raises(admission.FormError, match=message):
        admission.read_forms(data, "上传.xlsx")
