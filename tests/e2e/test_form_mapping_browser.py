"""报表中心 in a real browser: a department's form whose headers need deciding — an ambiguous 地址
and a loose 学历层次 wait for the user, a 残疾人证号 stays out of the ID column."""

from __future__ import annotations

import duckdb
import openpyxl
import pytest
from browser_helpers import DESKTOP, login, open_app, shot, wait_for_app
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
PASSWORD = "Demo@2026"


def addresses(db_path) -> dict[str, str]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return dict(con.execute("select id_number, current_address from resident").fetchall())
    finally:
        con.close()


def test_asked_headers_wait_for_the_user_and_look_alikes_stay_out(
    server, e2e_db_template, context_factory, tmp_path
):
    from tests.unit.test_form_mapping import children_form

    form = tmp_path / "困境儿童基本情况登记表.xlsx"
    form.write_bytes(children_form())
    page = context_factory(DESKTOP).new_page()
    open_app(page, server.url)
    login(page, "admin", PASSWORD)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="报表中心").click()
    wait_for_app(page)
    page.get_by_role("tab", name="套用本单位表样").click()
    wait_for_app(page)
    page.get_by_label("按哪张报表的对象和筛选条件取数").click()
    page.keyboard.type("新生儿登记")
    page.get_by_role("option", name="新生儿登记表 · 区卫健局").click()
    wait_for_app(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(form))
    wait_for_app(page)
    expect(page.get_by_text("请确认以下表头")).to_be_visible()
    expect(page.get_by_text("还有 2 列待确认")).to_be_visible()
    expect(page.get_by_text("可能是：户籍地址、现住址，请选择")).to_be_visible()
    make = page.get_by_role("button", name="套用表样并生成")
    expect(make).to_be_disabled()
    page.get_by_text("表头在第", exact=False).scroll_into_view_if_needed()
    page.mouse.wheel(0, 260)
    wait_for_app(page)
    shot(page, "form-mapping-asked-desktop")

    page.get_by_label("K 列“地址”对应").click()
    page.get_by_role("option", name="现住址", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_text("还有 1 列待确认")).to_be_visible()
    expect(make).to_be_disabled()
    page.get_by_label("L 列“学历层次”对应").click()
    page.get_by_role("option", name="（不填，留空）").click()
    wait_for_app(page)
    expect(page.get_by_text("待确认")).to_have_count(0)
    expect(make).to_be_enabled()
    make.click()
    wait_for_app(page)
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="下载填好的表样").click()
    target = tmp_path / "filled.xlsx"
    info.value.save_as(target)
    ws = openpyxl.load_workbook(target).active
    rows = [r for r in ws.iter_rows(min_row=5, max_col=12, values_only=True) if r[3]]
    homes = addresses(e2e_db_template)
    assert rows
    for r in rows:
        assert r[10] == homes[r[3]]  # 地址: the address the user chose
        assert r[5] is None  # 残疾人证号: never the ID number
        assert r[11] is None  # 学历层次: left blank as chosen
