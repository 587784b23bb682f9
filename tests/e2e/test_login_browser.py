"""Login, roles, lock-out, cookie replay and the error boundary in a real browser."""

from __future__ import annotations

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
        if role == "district_admin":
            shot(page, f"login-{suffix}")
        login(page, ROLE_USERS[role], PASSWORD)
        expect(page.get_by_role("heading", name="首页").first).to_be_visible()
        expect(page.get_by_test_id("stException")).to_have_count(0)
        if suffix == "desktop":
            expected = [p.title for p in pages_for(role)]
            assert sidebar_links(page) == expected
        else:
            assert no_horizontal_scroll(page)
        shot(page, f"home-{role}-{suffix}")


def test_wrong_password_refused_then_lock_and_unlock(server, context_factory):
    page = context_factory().new_page()
    open_app(page, server.url)
    login(page, "sw_hongmei", "Wrong-pass-1", ok=False)
    expect(page.get_by_text("用户名或密码错误")).to_be_visible()
    expect(page.get_by_role("heading", name="首页")).to_have_count(0)
    for _ in range(4):
        login(page, "sw_hongmei", "Wrong-pass-1", ok=False)
    expect(page.get_by_text("密码错误次数过多，账户已锁定")).to_be_visible()
    login(page, "sw_hongmei", PASSWORD, ok=False)  # the right password does not help while locked
    expect(page.get_by_text("账户已锁定")).to_be_visible()
    expect(page.get_by_role("heading", name="首页")).to_have_count(0)
    page.wait_for_timeout(LOCK_SECONDS * 1000 + 500)  # the lock window of this test server
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
