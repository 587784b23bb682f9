"""Privacy in a real browser: planted Markdown stays text, tables offer no CSV, and how masked
pages look to an uncleared street leader and an uncleared social worker (desktop and phone)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pytest
from browser_helpers import DESKTOP, PHONE, ROOT, Server, login, open_app, shot, wait_for_app
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
PASSWORD = "Demo@2026"
TRAP = "http://127.0.0.1:9/"
PLANTED = ("![x](http://127.0.0.1:9/t.png)", "[重新登录](http://127.0.0.1:9/)", "<img src=x>")
TRAPS_IN_DOM = """() => [...document.querySelectorAll('img, a, iframe, script')]
  .map(e => e.outerHTML)
  .filter(h => h.includes('127.0.0.1:9') || /src=["']?x["' >]/.test(h))"""

TEMPLATE = "<img src=x> 新生儿名册"
PLANT = f"""
from yibiaotong import auth, db, ledger, reports, tag_query, tags
with db.transaction() as cur:
    tags.refresh_rules(cur)
    cur.execute("update app_user set clearance = false where username = 'sw_hongmei'")
worker, admin = auth.scope_for("sw_tianxian"), auth.scope_for("admin")
for name in {PLANTED!r}:
    tag_query.save_query(worker, name, {{"entity": "resident", "tags": {{"all": ["elderly"]}}}}, True)
defn = dict(reports.template(admin, "wj_newborn")["definition"])
defn.update(code="zz_planted", name={TEMPLATE!r}, description={PLANTED[1]!r} + " " + {PLANTED[0]!r})
reports.save_version(admin, defn)
"""


@pytest.fixture(scope="module")
def planted(e2e_db_template, tmp_path_factory):
    """A demo database where a social worker shared queries named like Markdown traps, a
    resident is named like a fake link, and sw_hongmei has lost clearance."""
    work = tmp_path_factory.mktemp("privacy")
    template = work / "planted.duckdb"
    shutil.copy(e2e_db_template, template)
    shutil.copy(e2e_db_template.with_suffix(".cookie_key"), template.with_suffix(".cookie_key"))
    con = duckdb.connect(str(template))
    try:
        rid = con.execute(
            "select r.id from resident as r join org_unit as g on g.code = r.grid_code "
            "where g.full_name like '%/天仙社区/%' and r.status = 'active' order by r.id limit 1"
        ).fetchone()[0]
    finally:
        con.close()
    code = PLANT + (
        f"rec = ledger.get(admin, 'resident', {rid})\n"
        f"ledger.save(admin, 'resident', {rid}, {{'resident_name': {PLANTED[1]!r}}}, rec['version'])\n"
    )
    env = {**os.environ, "YIBIAOTONG_DB": str(template)}
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
    server = Server(template, work)
    yield server, rid, template
    server.stop()


@contextmanager
def visit(context_factory, server: Server, username: str) -> Iterator:
    """A logged-in page; afterwards nothing planted became an element (img, a, iframe, script)
    and nothing was fetched from the trap address."""
    page = context_factory().new_page()
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "127.0.0.1:9/" in r.url else None)
    open_app(page, server.url)
    login(page, username, PASSWORD)
    yield page
    assert page.evaluate(TRAPS_IN_DOM) == []
    assert fetched == []


def shown(page) -> str:
    return page.inner_text("[data-testid='stMain']").replace("\u200b", "")


def go_to(page, name: str) -> None:
    nav = page.get_by_test_id("stSidebarNav")
    if not nav.is_visible():
        page.get_by_test_id("stExpandSidebarButton").click()
    nav.get_by_role("link", name=name).click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name=name).first).to_be_visible()
    if page.viewport_size["width"] < 600:  # a phone: the sidebar covers the page until closed
        collapse = page.get_by_role("button", name="Collapse sidebar")
        collapse.wait_for(state="visible", timeout=5_000)
        collapse.click()
        expect(nav).to_be_hidden()


def test_planted_markdown_in_shared_query_names_stays_text(planted, context_factory):
    with visit(context_factory, planted[0], "leader_zlk") as page:
        go_to(page, "标签查询")
        page.get_by_role("tab", name="已保存的查询").click()
        wait_for_app(page)
        for name in PLANTED:
            assert name in shown(page)
        shot(page, "privacy-planted-query-names-desktop")


def test_planted_markdown_in_a_template_name_and_description_stays_text(planted, context_factory):
    with visit(context_factory, planted[0], "leader_zlk") as page:
        go_to(page, "报表中心")
        page.get_by_label("搜索").fill("img")
        page.get_by_label("搜索").press("Enter")
        wait_for_app(page)
        text = shown(page)
        assert TEMPLATE in text and PLANTED[1] in text and PLANTED[0] in text
        shot(page, "privacy-planted-template-desktop")


def test_planted_markdown_in_a_record_title_and_confirm_list_stays_text(planted, context_factory):
    server, rid, _ = planted
    with visit(context_factory, server, "sw_tianxian") as page:
        open_app(page, f"{server.url}/ledger?entity=resident&id={rid}")
        expect(page.get_by_role("heading", name=re.compile("^人口：")).first).to_be_visible()
        assert f"人口：{PLANTED[1]}" in shown(page)
        employer = page.get_by_label("工作单位")
        expect(employer).to_have_count(1)  # a rerun may briefly show the old form beside the new
        employer.fill(PLANTED[0])
        page.get_by_role("button", name="保存修改").click()
        wait_for_app(page)
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_text("工作单位")).to_be_visible()
        assert PLANTED[0] in dialog.inner_text().replace("\u200b", "")
        shot(page, "privacy-planted-confirm-desktop")


def test_tables_of_people_offer_no_csv_download(planted, context_factory):
    server, _, _ = planted
    page = context_factory().new_page()
    open_app(page, server.url)
    login(page, "sw_tianxian", PASSWORD)
    go_to(page, "台账")
    table = page.get_by_test_id("stDataFrame").first
    table.hover()
    toolbar = page.get_by_test_id("stElementToolbar").first
    expect(toolbar).to_be_visible()
    expect(toolbar.get_by_role("button", name=re.compile("全屏|Fullscreen"))).to_have_count(1)
    expect(toolbar.get_by_role("button", name=re.compile("CSV|下载|Download"))).to_have_count(0)


@pytest.mark.parametrize(("viewport", "suffix"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_what_uncleared_users_see(planted, context_factory, viewport, suffix):
    server, _, template = planted
    page = context_factory(viewport).new_page()
    open_app(page, server.url)
    login(page, "sw_hongmei", PASSWORD)
    go_to(page, "台账")
    expect(page.get_by_text(re.compile(r"共 [\d,+]+ 条"))).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()  # drawn on a canvas
    shot(page, f"privacy-uncleared-ledger-list-{suffix}")

    con = duckdb.connect(str(template), read_only=True)
    try:
        rid, id_number, born = con.execute(
            "select r.id, r.id_number, r.birth_date from resident as r "
            "join org_unit as g on g.code = r.grid_code where g.full_name like '%/红梅社区/%' "
            "and r.status = 'active' and r.id_number is not null order by r.id limit 1"
        ).fetchone()
    finally:
        con.close()
    open_app(page, f"{server.url}/ledger?entity=resident&id={rid}")
    expect(page.get_by_role("heading", name=re.compile("^人口：")).first).to_be_visible()
    record = page.content()
    assert id_number not in record and born.isoformat() not in record
    shot(page, f"privacy-uncleared-record-{suffix}")
    page.get_by_role("tab", name="历史").click()
    wait_for_app(page)
    shot(page, f"privacy-uncleared-history-{suffix}")

    leader = context_factory(viewport).new_page()
    open_app(leader, server.url)
    login(leader, "leader_zlk", PASSWORD)
    go_to(leader, "标签查询")
    leader.get_by_test_id("stExpander").filter(has_text="特殊人群").locator("summary").first.click()
    leader.get_by_test_id("stCheckbox").filter(has_text=re.compile(r"^老年人")).locator(
        "label"
    ).first.click()
    wait_for_app(leader)
    expect(leader.get_by_test_id("stDataFrame").first).to_be_visible()
    result = shown(leader)
    assert "敏感字段已脱敏" in result
    leader.get_by_test_id("stDataFrame").first.scroll_into_view_if_needed()
    shot(leader, f"privacy-leader-tag-query-{suffix}")
    go_to(leader, "数据大屏")
    leader.locator("[data-testid='stEChartsChart'] svg text").first.wait_for()
    shot(leader, f"privacy-leader-dashboard-{suffix}")
