"""走访采集 in a real browser: a social worker on a phone opens 我的走访, confirms three fields,
corrects one, adds a newborn and saves; the street leader's dashboard shows the progress move."""

from __future__ import annotations

import os
import re
import shutil
from datetime import date, timedelta

import pytest
from browser_helpers import DESKTOP, PHONE, Server, login, no_horizontal_scroll, open_app, shot
from browser_helpers import wait_for_app as settle

from yibiaotong import auth, db, visits

PASSWORD = "Demo@2026"
VERIFY = ["resident_phone", "resident_education", "resident_marital_status", "resident_employer"]
COLLECT = ["resident_wechat"]


@pytest.fixture
def campaign_server(e2e_db_template, tmp_path):
    """A server on a copy of the demo district holding an open street campaign."""
    template = tmp_path / "visits.duckdb"
    shutil.copy(e2e_db_template, template)
    shutil.copy(e2e_db_template.with_suffix(".cookie_key"), template.with_suffix(".cookie_key"))
    previous = os.environ.get("YIBIAOTONG_DB")
    os.environ["YIBIAOTONG_DB"] = str(template)
    db.close_all()
    campaign_id = visits.create_campaign(
        auth.scope_for("leader_zlk"),
        "秋季网格走亲",
        "330102009",
        "household",
        VERIFY,
        COLLECT,
        date.today(),
        date.today() + timedelta(days=30),
    )
    db.close_all()
    if previous is None:
        os.environ.pop("YIBIAOTONG_DB")
    else:
        os.environ["YIBIAOTONG_DB"] = previous
    server = Server(template, tmp_path)
    yield server, campaign_id, tmp_path / "console.duckdb"
    server.stop()


def _progress_title(page) -> str:
    """The chart's title: 走访完成率 · done / tasks 户."""
    title = page.locator("text=/走访完成率 · [0-9,]+ \\/ [0-9,]+ 户/").first
    title.wait_for(timeout=30_000)
    return title.text_content()


def test_a_visit_on_a_phone_moves_the_street_leaders_progress(
    campaign_server, context_factory, monkeypatch
):
    server, campaign_id, db_file = campaign_server
    leader = context_factory(DESKTOP).new_page()
    open_app(leader, server.url)
    login(leader, "leader_zlk", PASSWORD)
    leader.goto(f"{server.url}/dashboard")
    settle(leader)
    before = _progress_title(leader)
    done_before = int(re.search(r"· ([0-9,]+) /", before).group(1).replace(",", ""))

    phone = context_factory(PHONE).new_page()
    open_app(phone, server.url)
    login(phone, "sw_tianxian", PASSWORD)
    phone.goto(f"{server.url}/visits")
    settle(phone)
    phone.get_by_text("已完成 0 /").wait_for()
    assert no_horizontal_scroll(phone)
    shot(phone, "visits_phone_list")
    phone.locator("[data-testid='stButton'] button", has_text="人").first.click()
    settle(phone)
    phone.get_by_role("button", name="保存本户").wait_for()
    shot(phone, "visits_phone_card")

    ticks = phone.locator("[data-testid='stCheckbox']:not(:has(input[disabled]))")
    for i in (1, 2, 3):  # not the first, the head's phone, which is corrected below
        ticks.nth(i).locator("label").click()
    phone_box = phone.get_by_label("联系电话").first
    phone_box.fill("13912345678")
    phone.get_by_text("新增人员（新生儿、新成员）").click()
    phone.get_by_label("新生儿姓名").fill("测宝宝")
    phone.get_by_text("女").first.click()
    born = date.today() - timedelta(days=20)
    # A segmented date field: type into its first segment; leaving the field commits the date.
    phone.get_by_role("spinbutton", name="year, 新生儿出生日期").focus()
    phone.keyboard.type(f"{born:%Y%m%d}")
    phone.get_by_text("新生儿：一周岁以内").click()
    settle(phone)
    shot(phone, "visits_phone_filled")
    phone.get_by_role("button", name="保存本户").click()
    settle(phone)
    phone.get_by_text("已保存：确认 3 项，更正或补录 1 项").wait_for(timeout=30_000)
    phone.get_by_text("已完成 1 /").wait_for()
    assert no_horizontal_scroll(phone)
    shot(phone, "visits_phone_saved")

    leader.reload()
    settle(leader)
    after = _progress_title(leader)
    done_after = int(re.search(r"· ([0-9,]+) /", after).group(1).replace(",", ""))
    assert done_after == done_before + 1
    leader.get_by_text("走访进度").first.scroll_into_view_if_needed()
    shot(leader, "visits_dashboard_leader")

    server.stop()
    monkeypatch.setenv("YIBIAOTONG_DB", str(db_file))
    db.close_all()
    try:
        with db.cursor() as cur:
            actions = cur.execute(
                "select action, count(*) from visit_field where campaign_id = ? group by all "
                "order by action",
                [campaign_id],
            ).fetchall()
            sources = cur.execute(
                "select distinct source from change_log where batch_id = "
                "(select batch_id from visit_task where campaign_id = ? and outcome = 'visited')",
                [campaign_id],
            ).fetchall()
            newborn = cur.execute(
                "select birth_date, sex from resident where name = '测宝宝'"
            ).fetchall()
    finally:
        db.close_all()
    assert actions == [("confirmed", 3), ("corrected", 1)]
    assert {s for (s,) in sources} == {f"visit:{campaign_id}", "event:register_birth"}
    assert newborn == [(born, "2")]
