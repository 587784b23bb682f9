"""报表中心 in a real browser: pick a report, preview, download it; LibreOffice renders page 1."""

from __future__ import annotations

import duckdb
import openpyxl
import pytest
from browser_helpers import DESKTOP, SCREENSHOTS, login, open_app, shot, wait_for_app
from playwright.sync_api import expect

from tests import render

pytestmark = pytest.mark.e2e
PASSWORD = "Demo@2026"


def elderly_in_street(db_path, street: str) -> int:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(
            "select count(*) from resident as e "
            "join org_unit as s on starts_with(e.grid_code, s.code) "
            "where s.name = $street and s.level = 'street' and e.status = 'active' "
            "and e.residence_type = '1' and e.id in (select entity_id from entity_tag "
            "join tag on tag.id = entity_tag.tag_id where tag.code = 'elderly_80')",
            {"street": street},
        ).fetchone()[0]
    finally:
        con.close()


def test_leader_downloads_a_report_that_prints_like_the_paper_form(
    server, e2e_db_template, context_factory, tmp_path
):
    assert render.SOFFICE and render.PDFTOPPM, render.MISSING
    expected = elderly_in_street(e2e_db_template, "闸弄口街道")
    assert expected > 0
    context = context_factory(DESKTOP)
    page = context.new_page()
    open_app(page, server.url)
    login(page, "leader_zlk", PASSWORD)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="报表中心").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="报表中心").first).to_be_visible()

    page.get_by_label("搜索").fill("高龄津贴")
    page.get_by_label("搜索").press("Enter")
    wait_for_app(page)
    expect(page.locator("strong", has_text="高龄津贴发放花名册")).to_be_visible()
    expect(page.get_by_test_id("stMetricValue").first).to_have_text(f"{expected:,} 人")
    shot(page, "reports-preview")

    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="生成并下载 Excel").click()
    download = info.value
    assert download.suggested_filename.startswith("高龄津贴发放花名册_闸弄口街道_")
    target = tmp_path / "allowance.xlsx"
    download.save_as(target)
    wait_for_app(page)

    wb = openpyxl.load_workbook(target)
    ws = wb.active
    assert "闸弄口街道" in ws["A1"].value and "高龄津贴发放花名册" in ws["A1"].value
    assert ws["A2"].value.startswith("填报单位：上城区闸弄口街道")
    numbered = [r for r in ws.iter_rows(min_row=5, values_only=True) if isinstance(r[0], int)]
    assert len(numbered) == expected
    id_col = [c.value for c in ws[3]].index("公民身份号码")
    assert all("*" in r[id_col] for r in numbered)  # a street leader is not cleared

    page.get_by_test_id("stSidebarNav").get_by_role("link", name="报表运行记录").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="报表运行记录").first).to_be_visible()
    expect(page.get_by_test_id("stMetricValue").nth(2)).to_have_text("1 张")
    shot(page, "reports-runs")

    pdf = render.to_pdf(target, tmp_path)
    png = render.first_page_png(pdf, SCREENSHOTS / "report-allowance-page1.png")
    assert pdf.stat().st_size > 10_000
    assert png.stat().st_size > 20_000
    text = render.pdf_text(pdf, "-f", "1", "-l", "1", "-layout")
    for words in ("高龄津贴发放花名册", "填报单位", "序号", "公民身份号码", "第 1 页"):
        assert words in text


def test_admin_fills_the_street_s_own_form_in_the_browser(server, context_factory, tmp_path):
    from tests.unit.test_excel_template import pairing_form

    form = tmp_path / "结对帮扶登记表.xlsx"
    form.write_bytes(pairing_form())
    page = context_factory(DESKTOP).new_page()
    open_app(page, server.url)
    login(page, "admin", PASSWORD)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="报表中心").click()
    wait_for_app(page)
    page.get_by_role("tab", name="套用本单位表样").click()
    wait_for_app(page)
    page.get_by_label("按哪张报表的对象和筛选条件取数").click()
    page.keyboard.type("独居老人结对")
    page.get_by_role("option", name="独居老人结对联系表 · 区应急管理局").click()
    wait_for_app(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(form))
    wait_for_app(page)
    expect(page.get_by_text("表头在第 3–4 行，共 10 列", exact=False)).to_be_visible()
    shot(page, "reports-fill-mapping")
    page.get_by_role("button", name="套用表样并生成").click()
    wait_for_app(page)
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="下载填好的表样").click()
    target = tmp_path / "filled.xlsx"
    info.value.save_as(target)
    ws = openpyxl.load_workbook(target).active
    assert ws["A1"].value == "闸弄口街道独居老人结对帮扶登记表"
    assert ws["A2"].value == "填报单位：上城区"
    rows = [r for r in ws.iter_rows(min_row=5, values_only=True) if isinstance(r[0], int) and r[1]]
    footer = next(r for r in ws.iter_rows(min_row=5) if str(r[0].value).startswith("填表人"))
    assert rows and footer[0].row > 4 + len(rows)


def test_admin_opens_the_template_editor(server, e2e_db_template, context_factory):
    page = context_factory(DESKTOP).new_page()
    open_app(page, server.url)
    login(page, "admin", PASSWORD)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="报表模板管理").click()
    wait_for_app(page)
    page.get_by_role("combobox", name="模板", exact=True).click()
    page.keyboard.type("高龄津贴")
    page.get_by_role("option", name="高龄津贴发放花名册（mz_elderly_allowance", exact=False).click()
    wait_for_app(page)
    con = duckdb.connect(str(e2e_db_template), read_only=True)
    try:  # 80+ 户籍 residents of the whole district, counted by hand
        expected = con.execute(
            "select count(*) from resident as e where e.status = 'active' "
            "and e.residence_type = '1' and e.id in (select entity_id from entity_tag "
            "join tag on tag.id = entity_tag.tag_id where tag.code = 'elderly_80')"
        ).fetchone()[0]
    finally:
        con.close()
    expect(page.get_by_text(f"按当前设置共 {expected:,} 行，预览前 20 行：")).to_be_visible()
    shot(page, "reports-editor")
