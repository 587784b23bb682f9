"""标签查询 in a real browser: 计划生育 → 新生儿 → 二孩 / 多孩, the Excel download, phone layout."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
from browser_helpers import (
    PHONE,
    ROOT,
    Server,
    login,
    no_horizontal_scroll,
    open_app,
    shot,
    wait_for_app,
)
from openpyxl import load_workbook
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
PASSWORD = "Demo@2026"


@pytest.fixture(scope="module")
def tag_server(e2e_db_template, tmp_path_factory):
    """A server on a copy of the demo database whose rule tags have been computed."""
    work = tmp_path_factory.mktemp("tag_query")
    template = work / "tagged.duckdb"
    shutil.copy(e2e_db_template, template)
    shutil.copy(e2e_db_template.with_suffix(".cookie_key"), template.with_suffix(".cookie_key"))
    code = "from yibiaotong import db, tags\nwith db.transaction() as cur:\n    tags.refresh_rules(cur)\n"
    subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "YIBIAOTONG_DB": str(template)},
        check=True,
    )
    server = Server(template, work)
    yield server
    server.stop()


def go_to_tag_query(page, context, server, username: str = "leader_zlk") -> None:
    open_app(page, server.url)
    login(page, username, PASSWORD)
    expect(page.get_by_role("heading", name="首页").first).to_be_visible()
    link = page.get_by_role("link", name=re.compile("^标签查询："))
    link.scroll_into_view_if_needed()
    link.click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="标签查询").first).to_be_visible()


def tick(page, name: str) -> None:
    box = page.get_by_test_id("stCheckbox").filter(has_text=re.compile(rf"└ {name}(\s|$)"))
    box.locator("label").first.click()
    wait_for_app(page)


def three_clicks(page) -> None:
    page.get_by_test_id("stExpander").filter(has_text="计划生育").locator("summary").first.click()
    tick(page, "二孩")
    tick(page, "多孩")


def fits_the_phone(page) -> bool:
    """No horizontal scroll, allowing a moment for the table and chart to finish their layout."""
    for _ in range(20):
        if no_horizontal_scroll(page):
            return True
        page.wait_for_timeout(150)
    return False


def metric(page, label: str) -> str:
    card = page.get_by_test_id("stMetric").filter(has_text=label)
    return card.get_by_test_id("stMetricValue").inner_text().strip()


def test_second_and_multi_child_in_three_clicks_and_excel(tag_server, context_factory, tmp_path):
    context = context_factory()
    page = context.new_page()
    go_to_tag_query(page, context, tag_server)
    three_clicks(page)

    expect(page.get_by_test_id("stMetric").filter(has_text="育儿补助合计")).to_be_visible()
    people = int(metric(page, "符合条件").removesuffix(" 人").replace(",", ""))
    subsidy = int(metric(page, "育儿补助合计").lstrip("¥").replace(",", ""))
    assert people > 0 and subsidy >= people * 5000
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.get_by_role("heading", name="标签查询").scroll_into_view_if_needed()
    shot(page, "tag-query-second-child-desktop")
    page.get_by_test_id("stEChartsChart").first.scroll_into_view_if_needed()
    shot(page, "tag-query-breakdown-desktop")

    page.get_by_role("button", name="生成 Excel").click()
    wait_for_app(page)
    with page.expect_download() as info:
        page.get_by_test_id("stDownloadButton").get_by_role("button").click()
    path = tmp_path / "result.xlsx"
    info.value.save_as(path)
    assert info.value.suggested_filename.endswith(".xlsx")

    ws = load_workbook(path).active
    assert "二孩" in ws["A1"].value and "已脱敏" in ws["A1"].value
    header = [c.value for c in ws[2]]
    assert {"姓名", "身份证号", "孩次", "育儿补助（元）", "户号"} <= set(header)
    rows = [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=3, values_only=True)]
    assert len(rows) == people
    assert sum(r["育儿补助（元）"] for r in rows) == subsidy
    assert all("*" in r["身份证号"] for r in rows if r["身份证号"])


def test_phone_layout_and_crafted_input(tag_server, context_factory):
    context = context_factory(PHONE)
    page = context.new_page()
    go_to_tag_query(page, context, tag_server)
    three_clicks(page)
    expect(page.get_by_test_id("stMetric").filter(has_text="育儿补助合计")).to_be_visible()
    assert fits_the_phone(page)
    page.get_by_role("heading", name="标签查询").scroll_into_view_if_needed()
    shot(page, "tag-query-second-child-phone")
    page.get_by_text("已选标签").scroll_into_view_if_needed()
    shot(page, "tag-query-chosen-phone")
    page.get_by_test_id("stDataFrame").first.scroll_into_view_if_needed()
    assert fits_the_phone(page)
    shot(page, "tag-query-results-phone")

    search = page.get_by_label("搜索标签")
    search.fill("' or 1=1 --")
    search.press("Enter")
    wait_for_app(page)
    expect(page.get_by_text("没有名称含")).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert "Traceback" not in page.content()
    assert fits_the_phone(page)
