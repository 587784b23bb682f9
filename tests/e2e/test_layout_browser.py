"""Every page's title sits just under the header on desktop and phone (no empty band above it);
a name that looks like an address is found in the browser, and tables with missing values are
shot for a look (the grid paints "None" on its canvas only, so the blank itself is checked in
tests/app/test_tag_query_page.py through the element's placeholder)."""

from __future__ import annotations

import duckdb
import pytest
from browser_helpers import DESKTOP, PHONE, login, open_app, shot, wait_for_app
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from yibiaotong.ui.pages import pages_for

pytestmark = pytest.mark.e2e
PASSWORD = "Demo@2026"
# Streamlit's header is 3.6rem (57.6 px). With Streamlit's default gap every title started at
# 153.6 px, at desktop and phone width alike; now 65.6 px (数据大屏 81.6 px: its style block sits
# above the title). A title may start at most 2rem under the header.
HEADER = 57.6
MAX_TITLE_TOP = HEADER + 32


def title_top(page, title: str) -> float:
    """Top of the page's title in CSS pixels, once the page has settled on it (a cookie login
    shows the login form for a moment first)."""
    expect(page.locator(".yb-brand")).to_have_count(0)  # the login screen's heading
    heading = page.locator("h1").filter(has_text=title).first
    expect(heading).to_be_visible()
    last = None
    for _ in range(50):
        box = heading.bounding_box()
        top = box["y"] if box else None
        if top is not None and top == last:
            return top
        last = top
        page.wait_for_timeout(150)
    raise AssertionError(f"{title}: the title never settled")


@pytest.mark.parametrize(("viewport", "suffix"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_titles_start_right_under_the_header_on_every_page(
    server, context_factory, viewport, suffix
):
    page = context_factory(viewport).new_page()
    open_app(page, server.url)
    login(page, "admin", PASSWORD)
    tops = {}
    for spec in pages_for("district_admin"):
        page.goto(f"{server.url}/{spec.stem if spec.stem != 'home' else ''}")
        wait_for_app(page)
        tops[spec.title] = title_top(page, spec.title)
        if spec.stem == "ledger":
            shot(page, f"layout-ledger-{suffix}")
    print(f"title top ({suffix}, px):", tops)
    assert max(tops.values()) <= MAX_TITLE_TOP, tops
    assert min(tops.values()) >= HEADER - 4, tops  # clear of the header, not under it


def names_in_tianxian(db_path) -> tuple[str, str]:
    """A 楼 resident of 天仙社区 (the surname that looks like an address) and one with no phone."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        lou, phoneless = (
            con.execute(
                "select r.name from resident as r join org_unit as g on g.code = r.grid_code "
                "where g.full_name like '%/天仙社区/%' and r.status = 'active' "
                f"and {condition} order by r.id limit 1"  # noqa: S608 (constant conditions)
            ).fetchone()[0]
            for condition in ("r.name like '楼%'", "r.phone is null and length(r.name) = 3")
        )
    finally:
        con.close()
    return lou, phoneless


def grid_texts(page, expected: str | None = None) -> list[str]:
    """The cells of the first table, from the grid's accessible mirror of its canvas (read again
    until `expected` shows up: the table is redrawn a moment after a rerun)."""
    grid = page.get_by_test_id("stDataFrame").first
    cells: list[str] = []
    for _ in range(60):
        try:
            grid.scroll_into_view_if_needed(timeout=2_000)
            cells = grid.locator("[role='gridcell']").all_inner_texts()
        except PlaywrightError:  # redrawn meanwhile
            cells = []
        if cells and (expected is None or expected in cells):
            return cells
        page.wait_for_timeout(250)
    return cells


@pytest.mark.parametrize(("viewport", "suffix"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_ledger_finds_address_like_names_and_a_missing_phone_is_shown(
    server, e2e_db_template, context_factory, viewport, suffix
):
    lou, phoneless = names_in_tianxian(e2e_db_template)
    page = context_factory(viewport).new_page()
    open_app(page, server.url)
    login(page, "sw_tianxian", PASSWORD)
    page.goto(f"{server.url}/ledger")
    wait_for_app(page)
    search = page.get_by_label("搜索")
    for term, name in ((lou, lou), (phoneless[1:], phoneless)):
        expect(search).to_have_count(1)
        search.fill(term)
        search.press("Enter")
        wait_for_app(page)
        cells = grid_texts(page, name)
        assert name in cells, (term, cells)
        shot(page, f"ledger-search-{'lou' if term == lou else 'piece'}-{suffix}")

    page.goto(f"{server.url}/tag_query")
    wait_for_app(page)
    assert grid_texts(page)
    shot(page, f"tag-query-blanks-{suffix}")
