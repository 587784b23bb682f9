"""台账 in a real browser: search → record → edit → confirm → 历史, on desktop and phone."""

from __future__ import annotations

import duckdb
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
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
PASSWORD = "Demo@2026"


def residents_of(db_path, community: str, count: int) -> list[tuple]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(
            "select r.id, r.name, r.id_number from resident as r "
            "join org_unit as g on g.code = r.grid_code "
            "where g.full_name like $p and r.status = 'active' and r.id_type = '01' "
            "order by r.id limit $n",
            {"p": f"%/{community}/%", "n": count},
        ).fetchall()
    finally:
        con.close()


def pick_first_row(page) -> None:
    """Click the selection box of the first data row of the st.dataframe grid."""
    grid = page.get_by_test_id("stDataFrame").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + 35 + 17)
    wait_for_app(page)


@pytest.mark.parametrize(
    ("viewport", "suffix", "index"), [(DESKTOP, "desktop", 0), (PHONE, "phone", 1)]
)
def test_search_open_edit_confirm_and_see_history(
    server, e2e_db_template, context_factory, viewport, suffix, index
):
    rid, name, id_number = residents_of(e2e_db_template, "天仙社区", 2)[index]
    page = context_factory(viewport).new_page()
    open_app(page, server.url)
    login(page, "sw_tianxian", PASSWORD)
    if suffix == "phone":
        page.get_by_test_id("stExpandSidebarButton").click()
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="台账").click()
    wait_for_app(page)
    collapse = page.get_by_role("button", name="Collapse sidebar")
    if suffix == "phone" and collapse.is_visible():
        collapse.click()
    expect(page.get_by_role("heading", name="台账").first).to_be_visible()

    page.get_by_label("搜索").fill(id_number[-8:])
    page.get_by_label("搜索").press("Enter")
    wait_for_app(page)
    expect(page.get_by_text("共 1 条")).to_be_visible()
    shot(page, f"ledger-search-{suffix}")
    pick_first_row(page)
    expect(page.get_by_role("heading", name=f"人口：{name}").first).to_be_visible()
    assert no_horizontal_scroll(page)
    shot(page, f"ledger-record-{suffix}")

    employer = f"天仙社区服务中心{suffix}"
    page.get_by_label("工作单位").fill(employer)
    page.get_by_role("button", name="保存修改").click()
    wait_for_app(page)
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("工作单位")).to_be_visible()
    shot(page, f"ledger-confirm-{suffix}")
    dialog.get_by_role("button", name="确认保存").click()
    wait_for_app(page)
    expect(page.get_by_text("已保存")).to_be_visible()

    page.get_by_role("tab", name="历史").click()
    history = page.get_by_test_id("stDataFrame").last
    expect(history).to_be_visible()
    expect(page.get_by_text("第 2 版")).to_be_visible()
    assert no_horizontal_scroll(page)
    shot(page, f"ledger-history-{suffix}")


def test_bad_input_shows_chinese_message_and_keeps_version(
    server, e2e_db_template, context_factory
):
    rid, name, id_number = residents_of(e2e_db_template, "天仙社区", 3)[2]
    page = context_factory().new_page()
    open_app(page, server.url)
    login(page, "sw_tianxian", PASSWORD)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="台账").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="台账").first).to_be_visible()
    page.get_by_label("搜索").fill(id_number[-8:])
    page.get_by_label("搜索").press("Enter")
    wait_for_app(page)
    pick_first_row(page)
    page.get_by_label("联系电话").fill("1381234")
    page.get_by_label("工作单位").fill("=HYPERLINK(1)")
    page.get_by_role("button", name="保存修改").click()
    wait_for_app(page)
    expect(page.get_by_text("未保存，请更正")).to_be_visible()
    expect(page.get_by_text("联系电话")).to_have_count(2)  # the label and the message
    expect(page.get_by_text("第 1 版")).to_be_visible()
    shot(page, "ledger-bad-input-desktop")
