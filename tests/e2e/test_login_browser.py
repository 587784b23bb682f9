"""Login, roles, lock-out, cookie replay, sessions, password changes and the error boundary in
a real browser."""

from __future__ import annotations

import time

import pytest
from browser_helpers import (
    DESKTOP,
    LOCK_SECONDS,
    PHONE,
    Server,
    auth_cookie,
    login,
    no_horizontal_scroll,
    open_app,
    shot,
    wait_for_app,
)
from playwright.sync_api import expect

from yibiaotong.ui.pages import pages_for

pytestmark = pytest.mark.e2e
PASSWORD = "Demo@2026"
ROLE_USERS = {
    "district_admin": "admin",
    "street_leader": "leader_zlk",
    "dept_staff": "weijian",
    "social_worker": "sw_tianxian",
}


def sidebar_links(page) -> list[str]:
    nav = page.get_by_test_id("stSidebarNav")
    # Each link is "<material icon ligature>\n\n<title>".
    return [t.split("\n")[-1].strip() for t in nav.get_by_role("link").all_inner_texts()]


def test_fresh_server_refuses_direct_url_to_forbidden_page(
    e2e_db_template, tmp_path, context_factory
):
    """The first visit to a fresh server, straight to /users, shows only the login."""
    s = Server(e2e_db_template, tmp_path)
    try:
        ctx = context_factory()
        page = ctx.new_page()
        open_app(page, f"{s.url}/users")
        expect(page.get_by_label("用户名")).to_be_visible()
        expect(page.get_by_role("heading", name="用户管理")).to_have_count(0)
        login(page, "sw_tianxian", PASSWORD)
        auth_cookie(ctx)
        # Logged in (by cookie, in a new session), the URL still does not open the page.
        open_app(page, f"{s.url}/users")
        expect(page.get_by_role("heading", name="首页").first).to_be_visible()
        expect(page.get_by_role("heading", name="用户管理")).to_have_count(0)
        expect(page.get_by_text("用户管理")).to_have_count(0)
    finally:
        s.stop()


@pytest.mark.parametrize("role", list(ROLE_USERS))
def test_each_role_sees_its_menu_and_home(server, context_factory, role):
    for viewport, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page = context_factory(viewport).new_page()
        open_app(page, server.url)
        expect(page.get_by_text("演示数据，请勿录入真实信息")).to_be_visible()
        if role == "district_admin":
            shot(page, f"login-{suffix}")
        login(page, ROLE_USERS[role], PASSWORD)
        expect(page.get_by_text("演示数据，请勿录入真实信息")).to_be_visible()
        expect(page.get_by_role("heading", name="首页").first).to_be_visible()
        expect(page.get_by_test_id("stException")).to_have_count(0)
        if suffix == "desktop":
            expected = [p.title for p in pages_for(role) if p.in_menu]
            assert sidebar_links(page) == expected
        else:
            assert no_horizontal_scroll(page)
        shot(page, f"home-{role}-{suffix}")


def test_wrong_password_refused_then_paused_for_the_window(server, context_factory):
    page = context_factory().new_page()
    open_app(page, server.url)
    # Each answer is awaited before the next try: a click sent while the previous login still
    # runs would make Streamlit restart that run (a user's double click, not five tries).
    for left in (4, 3, 2, 1):
        login(page, "sw_hongmei", "Wrong-pass-1", ok=False)
        expect(
            page.get_by_text(f"用户名或密码错误，或账户暂不可用。再失败 {left} 次")
        ).to_be_visible(timeout=30_000)
        expect(page.get_by_role("heading", name="首页")).to_have_count(0)
    login(page, "sw_hongmei", "Wrong-pass-1", ok=False)
    expect(page.get_by_text("登录失败次数过多，本机暂停该账户登录")).to_be_visible(timeout=30_000)
    login(page, "sw_hongmei", PASSWORD, ok=False)  # the right password does not help meanwhile
    expect(page.get_by_text("该账户在本机登录失败次数过多")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("heading", name="首页")).to_have_count(0)
    page.wait_for_timeout(LOCK_SECONDS * 1000 + 500)  # the throttle window of this test server
    login(page, "sw_hongmei", PASSWORD)
    expect(page.get_by_role("heading", name="首页").first).to_be_visible()


def test_cookie_relogs_in_but_not_after_logout(server, context_factory):
    ctx = context_factory()
    page = ctx.new_page()
    open_app(page, server.url)
    login(page, "leader_zlk", PASSWORD)
    expect(page.get_by_role("heading", name="首页").first).to_be_visible()
    cookie = auth_cookie(ctx)

    # Control: the cookie alone logs a new browser in while the session is live.
    other = context_factory()
    other.add_cookies([cookie])
    p2 = other.new_page()
    open_app(p2, server.url)
    expect(p2.get_by_role("heading", name="首页").first).to_be_visible()

    page.get_by_role("button", name="退出登录").click()
    wait_for_app(page)
    expect(page.get_by_label("用户名")).to_be_visible()

    replay = context_factory()
    replay.add_cookies([cookie])
    p3 = replay.new_page()
    open_app(p3, server.url)
    expect(p3.get_by_label("用户名")).to_be_visible()
    expect(p3.get_by_role("heading", name="首页")).to_have_count(0)


def test_page_error_shows_chinese_message_not_traceback(e2e_db_template, tmp_path, context_factory):
    s = Server(e2e_db_template, tmp_path, {"YIBIAOTONG_FAULT_PAGE": "standards"})
    try:
        page = context_factory().new_page()
        open_app(page, s.url)
        login(page, "admin", PASSWORD)
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="字段与标签标准").click()
        wait_for_app(page)
        expect(page.get_by_text("页面出现错误")).to_be_visible()
        expect(page.get_by_test_id("stException")).to_have_count(0)
        assert "Traceback" not in page.content()
        assert "RuntimeError" not in page.content()
    finally:
        s.stop()


def test_bookmarked_page_opens_directly_after_cookie_login(server, context_factory):
    """A wall screen reopening its bookmark lands on that page, not on 首页."""
    ctx = context_factory()
    page = ctx.new_page()
    open_app(page, server.url)
    login(page, "admin", PASSWORD)
    auth_cookie(ctx)
    open_app(page, f"{server.url}/standards")
    expect(page.get_by_role("heading", name="字段与标签标准").first).to_be_visible()


CONCURRENT_LOGIN_SECONDS = 15  # click to 首页 for each of five people at once, on 2 shared cores


def test_five_people_log_in_at_once_and_no_click_is_lost(server, context_factory):
    """Five browsers click 登录 together, once each, while their pages' remaining scripts are
    still loading (as on a busy office network): every one arrives at 首页. On main a script
    that finished loading during a login run reran the app and the click was lost."""
    users = ["admin", "leader_zlk", "weijian", "sw_tianxian", "sw_hongmei"]
    pages, held = [], []
    for username in users:
        page = context_factory().new_page()
        page.route("**/component/**", lambda route: held.append(route))  # late frames, if any
        open_app(page, server.url)
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码", exact=True).fill(PASSWORD)
        pages.append(page)
    started = time.monotonic()
    for page in pages:
        page.get_by_role("button", name="登录").click(no_wait_after=True)
    for route in held:
        route.continue_()
    arrived = []
    for page in pages:
        page.get_by_role("heading", name="首页").first.wait_for(
            timeout=CONCURRENT_LOGIN_SECONDS * 1000
        )
        arrived.append(time.monotonic() - started)
    assert max(arrived) < CONCURRENT_LOGIN_SECONDS, arrived
    print(f"five logins at once: {', '.join(f'{t:.1f}' for t in arrived)} s")
    for page in pages:
        auth_cookie(page.context)


def test_a_second_tab_ends_when_the_user_logs_out_elsewhere(server, context_factory):
    for viewport, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
        working = context_factory(viewport).new_page()
        open_app(working, server.url)
        login(working, "leader_zlk", PASSWORD)
        other = context_factory(viewport).new_page()
        open_app(other, server.url)
        login(other, "leader_zlk", PASSWORD)
        if suffix == "phone":
            other.get_by_test_id("stExpandSidebarButton").click()
        other.get_by_role("button", name="退出登录").click()
        wait_for_app(other)
        expect(other.get_by_text("您已退出登录")).to_be_visible()

        # The first tab's next click ends its session with the reason.
        if suffix == "phone":
            working.get_by_test_id("stExpandSidebarButton").click()
        working.get_by_test_id("stSidebarNav").get_by_role("link", name="标签查询").click()
        wait_for_app(working)
        expect(working.get_by_text("本会话已结束")).to_be_visible()
        expect(working.get_by_label("用户名")).to_be_visible()
        expect(working.get_by_role("heading", name="首页")).to_have_count(0)
        shot(working, f"session-ended-{suffix}")


def test_a_new_user_must_set_their_own_password_first(server, context_factory):
    admin = context_factory().new_page()
    open_app(admin, server.url)
    login(admin, "admin", PASSWORD)
    admin.get_by_test_id("stSidebarNav").get_by_role("link", name="用户管理").click()
    wait_for_app(admin)
    expect(admin.get_by_role("heading", name="用户管理").first).to_be_visible()
    expect(admin.get_by_test_id("stDataFrame").locator("canvas").first).to_be_visible()
    admin.get_by_role("tab", name="锁定 / 停用").click()
    expect(admin.get_by_role("button", name="停用")).to_be_visible()
    shot(admin, "users-desktop")
    admin.get_by_role("tab", name="新增用户").click()
    admin.get_by_label("用户名").fill("wang_admin2")
    admin.get_by_label("姓名").fill("王二")
    admin.get_by_role("textbox", name="初始密码").fill("Qiantang-River-9")
    admin.get_by_role("button", name="创建用户").click()
    wait_for_app(admin)
    expect(admin.get_by_text("已创建用户 wang_admin2")).to_be_visible()

    for viewport, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page = context_factory(viewport).new_page()
        open_app(page, server.url)
        page.get_by_label("用户名").fill("wang_admin2")
        page.get_by_label("密码", exact=True).fill("Qiantang-River-9")
        page.get_by_role("button", name="登录").click()
        wait_for_app(page)
        expect(page.get_by_role("heading", name="请先修改密码")).to_be_visible()
        expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
        shot(page, f"password-change-forced-{suffix}")
    page.get_by_label("当前密码").fill("Qiantang-River-9")
    page.get_by_label("新密码", exact=True).fill("xihu#longjing88")
    page.get_by_label("再次输入新密码").fill("xihu#longjing88")
    page.get_by_role("button", name="修改密码").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="首页").first).to_be_visible()
