"""报表准入 in a real browser: a department submits its own form, the admin reviews it against
the overlap shown and approves it, and the department generates the new report."""

from __future__ import annotations

import io

import openpyxl
import pytest
from browser_helpers import (
    DESKTOP,
    PHONE,
    login,
    no_horizontal_scroll,
    open_app,
    shot,
    wait_for_app,
)
from playwright.sync_api import Page, expect

from tests.unit.admission_forms import FormSpec, build

pytestmark = pytest.mark.e2e
PASSWORD = "Demo@2026"
TITLE = "重阳节高龄老人慰问金发放表"
FORM = FormSpec(
    "重阳节慰问金发放表.xlsx",
    "weijian",
    "test",
    f"2024年________街道{TITLE}",
    "resident",
    [
        ("序号", "seq"),
        ("姓名", "resident_name"),
        ("性别", "resident_sex"),
        ("公民身份号码", "resident_id_number"),
        ("出生日期", "resident_birth_date"),
        ("年龄", "age"),
        ("户籍地址", "resident_hukou_address"),
        ("所属社区", "community"),
        ("联系电话", "resident_phone"),
        ("慰问金额（元）", None),
        ("领取人签字", None),
    ],
    notes=("注：慰问金由街道统一发放，领取人签字确认。",),
)


def go(page: Page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name=title).first).to_be_visible()


def pick(page: Page, label: str, option: str, *, many: bool = False) -> None:
    page.get_by_role("combobox", name=label).click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option).first.click()
    if many:
        page.keyboard.press("Escape")  # a multiselect keeps its list open
    wait_for_app(page)


def test_department_request_is_reviewed_approved_and_generated(server, context_factory, tmp_path):
    form = tmp_path / FORM.file
    form.write_bytes(build(FORM))

    # The department fills in the request and uploads its own form.
    dept = context_factory(DESKTOP).new_page()
    open_app(dept, server.url)
    login(dept, "weijian", PASSWORD)
    go(dept, "报表准入")
    dept.get_by_label("报表名称").fill(TITLE)
    dept.get_by_label("用途说明").fill("重阳节前向辖区 80 周岁以上老人发放慰问金，需逐人签收")
    dept.get_by_label("依据（文件、法规或会议纪要）").fill(
        "区委办关于做好 2026 年重阳节敬老工作的通知"
    )
    dept.get_by_label("统计期间").fill("当年重阳节前")
    pick(dept, "人群（标签，可不选）", "高龄老人", many=True)
    dept.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(form))
    wait_for_app(dept)
    expect(dept.get_by_text("识别到表名")).to_be_visible()
    expect(dept.get_by_role("heading", name="自动评估")).to_be_visible()
    expect(dept.get_by_text("的字段已在现有报表《")).to_be_visible()
    coverage = dept.get_by_test_id("stMetricValue").first.inner_text()
    assert coverage == "80%"  # 8 of the 10 fields (序号 is none) are in the ledger
    dept.get_by_text("识别到表名").scroll_into_view_if_needed()
    shot(dept, "admission-request-desktop")
    dept.get_by_role("heading", name="自动评估").scroll_into_view_if_needed()
    shot(dept, "admission-assessment-desktop")
    dept.get_by_role("button", name="提交申请").click()
    wait_for_app(dept)
    expect(dept.get_by_text("已提交第 1 号申请")).to_be_visible()

    # The admin reviews it against the overlap and approves it as a new report.
    admin = context_factory(DESKTOP).new_page()
    open_app(admin, server.url)
    login(admin, "admin", PASSWORD)
    expect(admin.get_by_text("待审核申请")).to_be_visible()
    go(admin, "报表准入")
    pick(admin, "查看申请", f"第 1 号 · {TITLE} · 待审核")
    expect(admin.get_by_text("的字段已在现有报表《").first).to_be_visible()
    expect(admin.get_by_text("办理记录")).to_be_visible()
    expect(admin.get_by_text("将新建报表模板")).to_be_visible()
    admin.get_by_text("的字段已在现有报表《").first.scroll_into_view_if_needed()
    shot(admin, "admission-review-overlap-desktop")
    admin.get_by_text("将新建报表模板").scroll_into_view_if_needed()
    shot(admin, "admission-review-desktop")
    admin.get_by_role("button", name="确认审核决定").click()
    wait_for_app(admin)
    expect(admin.get_by_text("已进入报表目录（weijian_req0001）")).to_be_visible()

    # The department sees the decision on its home page and generates the report.
    dept.get_by_test_id("stSidebarNav").get_by_role("link", name="首页").click()
    wait_for_app(dept)
    expect(dept.get_by_text("已批准：新建报表").first).to_be_visible()
    shot(dept, "admission-home-desktop")
    go(dept, "报表中心")
    dept.get_by_label("搜索").fill("重阳节")
    dept.get_by_label("搜索").press("Enter")
    wait_for_app(dept)
    expect(dept.locator("strong", has_text=TITLE)).to_be_visible()
    with dept.expect_download(timeout=60_000) as info:
        dept.get_by_role("button", name="生成并下载 Excel").click()
    target = tmp_path / "generated.xlsx"
    info.value.save_as(target)
    ws = openpyxl.load_workbook(io.BytesIO(target.read_bytes())).active
    assert TITLE in ws["A1"].value and "闸弄口" not in ws["A1"].value
    printed = [c.value for c in ws[3]]
    assert printed[:4] == ["序号", "姓名", "性别", "公民身份号码"]
    assert printed[-2:] == ["慰问金额（元）", "领取人签字"]  # the form's own columns, left blank
    rows = [r for r in ws.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]
    assert rows and all(r[-1] is None for r in rows)


def test_department_follows_its_request_on_a_phone(server, context_factory):
    page = context_factory(PHONE).new_page()
    open_app(page, server.url)
    login(page, "weijian", PASSWORD)
    page.get_by_test_id("stExpandSidebarButton").click()
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="报表准入").click()
    wait_for_app(page)
    collapse = page.get_by_role("button", name="Collapse sidebar")
    if collapse.is_visible():
        collapse.click()
    expect(page.get_by_role("heading", name="报表准入").first).to_be_visible()
    page.get_by_role("tab", name="本部门的申请").click()
    wait_for_app(page)
    pick(page, "查看申请", f"第 1 号 · {TITLE} · 已批准：新建报表")
    expect(page.get_by_text("办理记录")).to_be_visible()
    expect(page.get_by_text("到报表中心生成这张报表")).to_be_visible()
    assert no_horizontal_scroll(page)
    shot(page, "admission-request-phone")
    page.get_by_text("台账已覆盖").first.scroll_into_view_if_needed()
    shot(page, "admission-assessment-phone")
