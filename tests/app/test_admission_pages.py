"""报表准入 and 表单归并 pages in AppTest: a request picked by hand and its review, an expired
template with its renewal form, a consolidated pile with every tab."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

from test_pages import logged_in_app

from yibiaotong import admission, auth, reports
from yibiaotong.admission import consolidation

sys.path.insert(0, str(Path(__file__).parents[1] / "unit"))
import admission_forms as af  # noqa: E402


def open_page(username: str, stem: str):
    at = logged_in_app(username)
    at.switch_page(f"app_pages/{stem}.py").run()
    assert not at.exception, at.exception
    return at


def texts(at) -> str:
    parts = (
        [e.value for e in at.markdown] + [e.value for e in at.caption] + [e.value for e in at.text]
    )
    parts += (
        [e.value for e in at.info] + [e.value for e in at.success] + [e.value for e in at.warning]
    )
    parts += [e.value for e in at.error]
    return "\n".join(str(p) for p in parts)


def request(staff) -> int:
    return admission.submit(
        staff,
        admission.RequestMeta(
            "高龄老人关爱名册",
            "掌握辖区高龄老人情况，开展关爱服务",
            "区民政局文件",
            "monthly",
            staff.org_code,
            "每月末",
            "resident",
            date.today() + timedelta(days=200),
            ("elderly_80",),
        ),
        admission.picked("resident", ["resident_name", "resident_id_number", "age", "community"])
        + [admission.RequestedField("爱好", None, None, "none", 0.0)],
    )


def test_picked_fields_show_the_assessment_before_submitting(use_fixture_db):
    at = open_page("weijian", "admission")
    at.radio(key="adm_new_how").set_value("从字段标准中选择").run()
    at.multiselect(key="adm_new_picked_resident").set_value(["resident_name", "age"]).run()
    at.text_input(key="adm_new_extra").input("血型、鞋码").run()
    assert not at.exception
    coverage = next(m.value for m in at.metric if m.label == "台账已覆盖")
    assert coverage == "50%"  # 姓名, 年龄 of 姓名, 年龄, 血型, 鞋码
    assert "负担估算" in texts(at)
    at.button(key="adm_new_submit").click().run()
    assert "报表名称应为" in texts(at)  # nothing typed yet: refused with a reason


def test_admin_reviews_and_the_department_sees_the_decision(writable_db):
    request_id = request(auth.scope_for("weijian"))
    at = open_page("admin", "admission")
    at.selectbox(key="adm_pending_pick").set_value(request_id).run()
    assert "的字段已在现有报表《" in texts(at)
    at.radio(key=f"adm_rev_{request_id}_decision").set_value("退回补充").run()
    at.text_area(key=f"adm_rev_{request_id}_questions").input("请说明与高龄津贴名册的区别").run()
    at.button(key=f"adm_rev_{request_id}_go").click().run()
    assert not at.exception
    assert admission.get(auth.scope_for("admin"), request_id)["state"] == "returned"

    home = logged_in_app("weijian")
    assert "请说明与高龄津贴名册的区别" in texts(home)
    mine = open_page("weijian", "admission")
    mine.selectbox(key="adm_mine_pick").set_value(request_id).run()
    assert "办理记录" in texts(mine)
    assert mine.text_area(key=f"adm_req_{request_id}_answer")


def test_expired_template_is_reminded_and_renewal_offered(writable_db):
    staff, admin = auth.scope_for("weijian"), auth.scope_for("admin")
    code = admission.approve_new(admin, request(staff), 1)
    t = reports.template(admin, code)
    reports.save_version(
        admin,
        {
            **t["definition"],
            "valid_from": date.today() - timedelta(days=400),
            "valid_to": date.today() - timedelta(days=2),
        },
    )
    home = logged_in_app("weijian")
    assert any("已停用" in e.value for e in home.error)
    at = open_page("weijian", "admission")
    assert at.button(key=f"adm_exp_{code}_go")
    at.text_input(key=f"adm_exp_{code}_reason").input("延续").run()
    at.button(key=f"adm_exp_{code}_go").click().run()
    assert "续期理由应为 5–500 个字" in texts(at)  # too short a reason: refused, nothing made
    assert admission.list_requests(admin, ["submitted"]) == []
    at.text_input(key=f"adm_exp_{code}_reason").input("随访工作延续到下一年度").run()
    at.button(key=f"adm_exp_{code}_go").click().run()
    assert not at.exception
    pending = admission.list_requests(admin, ["submitted"])
    assert [(r["kind"], r["template_code"]) for r in pending] == [("renewal", code)]


def test_consolidated_pile_renders_every_tab(writable_db):
    admin = auth.scope_for("admin")
    consolidation.analyse(admin, af.pile(af.FORMS[:6]), "民政残联卫健表单")
    at = open_page("admin", "consolidation")
    assert not at.exception
    assert "6 张表共" in texts(at)
    assert [t.label for t in at.tabs][:2] == ["合并字段清单", "各表明细"]
    assert at.button(key="cf_make")
    assert at.get("download_button")
