"""数据大屏 in a real browser: the wall at 1920×1080, drill-down by click, laptop export, phone."""

from __future__ import annotations

import io
import re
import shutil

import duckdb
import pytest
from browser_helpers import (
    DESKTOP,
    PHONE,
    Server,
    login,
    no_horizontal_scroll,
    open_app,
    shot,
    wait_for_app,
)
from openpyxl import load_workbook
from playwright.sync_api import expect

from yibiaotong.catalog import read_catalog
from yibiaotong.ui.charts import short_unit_name

pytestmark = pytest.mark.e2e
PASSWORD = "Demo@2026"
WALL = {"width": 1920, "height": 1080}

CHART = "[data-testid='stEChartsChart']"
# Text boxes of every chart on the page (ECharts draws SVG text) that overlap another text box
# of the same chart, or stick out of the chart (cut off).
OVERLAPS_JS = """() => {
  const found = [];
  for (const chart of document.querySelectorAll("[data-testid='stEChartsChart']")) {
    const svg = chart.querySelector('svg');
    if (!svg) { found.push('a chart without its SVG'); continue; }
    const frame = svg.getBoundingClientRect();
    const boxes = [];
    for (const el of svg.querySelectorAll('text')) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0 && el.textContent.trim()) boxes.push([el.textContent, r]);
    }
    for (const [t, r] of boxes) {
      if (r.left < frame.left - 1 || r.right > frame.right + 1 || r.top < frame.top - 1 ||
          r.bottom > frame.bottom + 1) found.push(t + ' cut');
    }
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const [ta, a] = boxes[i], [tb, b] = boxes[j];
      const dx = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const dy = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (dx > 1.5 && dy > 1.5) found.push(ta + ' × ' + tb);
    }
  }
  return found;
}"""


def open_dashboard(page, username: str, phone: bool = False) -> None:
    login(page, username, PASSWORD)
    if phone:
        page.get_by_test_id("stExpandSidebarButton").click()
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="数据大屏").click()
    wait_for_app(page)
    collapse = page.get_by_role("button", name="Collapse sidebar")
    if phone and collapse.is_visible():
        collapse.click()
    page.locator(f"{CHART} svg text").first.wait_for()


def wall_mode(page) -> None:
    page.get_by_text("大屏模式").click()
    wait_for_app(page)
    expect(page.locator(".yb-screen-title")).to_be_visible()
    page.locator(f"{CHART} svg text").first.wait_for()


def content_height(page) -> int:
    return page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")


def full_length_shot(page, name: str) -> None:
    """Streamlit scrolls inside the page, so a full-page shot needs the window that tall."""
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": content_height(page)})
    page.wait_for_timeout(500)
    shot(page, name)
    page.set_viewport_size(size)


def test_street_wall_screen_fits_1920_by_1080(server, context_factory):
    page = context_factory(WALL).new_page()
    open_app(page, server.url)
    open_dashboard(page, "leader_zlk")
    wall_mode(page)
    assert "mode=screen" in page.url
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    expect(page.locator(".yb-screen-title")).to_contain_text("闸弄口街道 · 数据大屏")
    expect(page.get_by_test_id("stMetric").first).to_contain_text("实有人口")
    assert content_height(page) <= WALL["height"], "the wall shows everything without scrolling"
    assert no_horizontal_scroll(page)
    assert page.evaluate(OVERLAPS_JS) == []
    page.locator(CHART).first.hover()  # a stray pointer on the wall brings up no toolbar
    page.wait_for_timeout(300)
    assert page.get_by_test_id("stElementToolbar").count() > 0
    expect(page.get_by_test_id("stElementToolbar").first).to_be_hidden()
    shot(page, "dashboard-screen-1920-street")


def test_district_wall_drills_down_by_click(server, context_factory):
    page = context_factory(WALL).new_page()
    open_app(page, server.url)
    open_dashboard(page, "admin")
    wall_mode(page)
    expect(page.locator(".yb-screen-title")).to_contain_text("上城区 · 数据大屏")
    comparison = page.locator(CHART).nth(1)
    expect(comparison).to_contain_text("各街道实有人口")
    # Every street named (the oracle: the catalogue's streets, as a chart shortens them).
    streets = [
        short_unit_name(u["name"]) for u in read_catalog().org_units if u["level"] == "street"
    ]
    labels = comparison.locator("svg text").filter(has_text=re.compile(f"^({'|'.join(streets)})$"))
    assert sorted(labels.all_text_contents()) == sorted(streets)
    assert content_height(page) <= WALL["height"]
    assert page.evaluate(OVERLAPS_JS) == []
    shot(page, "dashboard-screen-1920-district")

    # The tallest column (the first street, leftmost) drills down: a click just above its label.
    first = min((labels.nth(i).bounding_box() for i in range(labels.count())), key=lambda b: b["x"])
    page.mouse.click(first["x"] + first["width"] / 2, first["y"] - 12)
    wait_for_app(page)
    expect(page.locator(".yb-screen-title")).to_contain_text("街道 · 数据大屏")
    assert "org=330102" in page.url and "mode=screen" in page.url
    expect(page.locator(CHART).nth(1)).to_contain_text("各社区实有人口")
    assert page.evaluate(OVERLAPS_JS) == []
    shot(page, "dashboard-screen-1920-drilled")


def test_laptop_view_exports_the_summary(server, context_factory):
    page = context_factory(DESKTOP).new_page()
    open_app(page, server.url)
    open_dashboard(page, "leader_zlk")
    expect(page.get_by_role("heading", name="数据大屏").first).to_be_visible()
    expect(page.get_by_test_id("stSidebar")).to_be_visible()
    assert no_horizontal_scroll(page)
    page.wait_for_timeout(500)
    assert page.evaluate(OVERLAPS_JS) == []
    shot(page, "dashboard-laptop")
    full_length_shot(page, "dashboard-laptop-full")

    with page.expect_download() as download:
        page.get_by_role("button", name="导出汇总 Excel").click()
    assert download.value.suggested_filename.startswith("数据大屏_闸弄口街道_")
    data = download.value.path().read_bytes()
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["概览", "人口", "房屋", "商铺", "网格", "数据质量", "一表通使用"]


def test_phone_view_is_one_column_with_paired_tiles(server, context_factory):
    page = context_factory(PHONE).new_page()
    open_app(page, server.url)
    open_dashboard(page, "leader_zlk", phone=True)
    expect(page.get_by_role("heading", name="数据大屏").first).to_be_visible()
    assert no_horizontal_scroll(page)
    tiles = page.get_by_test_id("stMetric")
    first, second = tiles.nth(0).bounding_box(), tiles.nth(1).bounding_box()
    assert abs(first["y"] - second["y"]) < 2 and second["x"] > first["x"]  # two tiles a row
    page.wait_for_timeout(500)
    assert page.evaluate(OVERLAPS_JS) == []
    shot(page, "dashboard-phone-390")
    full_length_shot(page, "dashboard-phone-390-full")


PLANTED = '<img src=x onerror="window.__planted=1">民政'


@pytest.fixture(scope="module")
def planted_server(e2e_db_template, tmp_path_factory):
    """A console whose 民政 report templates name their department with markup (a department
    outside the catalogue is shown by the name the templates give it)."""
    work = tmp_path_factory.mktemp("planted")
    db_file = work / "console.duckdb"
    shutil.copy(e2e_db_template, db_file)
    shutil.copy(e2e_db_template.with_suffix(".cookie_key"), db_file.with_suffix(".cookie_key"))
    with duckdb.connect(str(db_file)) as con:
        con.execute(
            "update report_template set department = ? where department = 'minzheng'", [PLANTED]
        )
    s = Server(e2e_db_template, work)
    yield s
    s.stop()


def test_a_name_with_markup_is_shown_as_text_in_labels_and_tooltips(
    planted_server, context_factory
):
    page = context_factory(DESKTOP).new_page()
    open_app(page, planted_server.url)
    open_dashboard(page, "leader_zlk")
    chart = page.locator(CHART).filter(has_text="各部门在用报表模板")
    label = chart.locator("svg text").filter(has_text=PLANTED).first
    label.scroll_into_view_if_needed()
    expect(label).to_have_text(PLANTED)  # the axis names it, as text
    box = label.bounding_box()
    page.mouse.move(box["x"] + box["width"] + 30, box["y"] + box["height"] / 2)  # its bar
    expect(chart).to_contain_text(f"{PLANTED}：")  # the tooltip names it, as text
    assert page.locator("img[src='x']").count() == 0
    assert page.evaluate("() => window.__planted") is None
