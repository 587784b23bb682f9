"""AppTest matrix: every page × every role, and what a visitor sees without logging in."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from yibiaotong import auth, db, sessions
from yibiaotong.config import ROOT
from yibiaotong.ui.pages import ALL_ROLES, PAGES

DEMO_BY_ROLE = {
    "district_admin": "admin",
    "street_leader": "leader_zlk",
    "dept_staff": "weijian",
    "social_worker": "sw_tianxian",
}


def logged_in_app(username: str, login_at: float | None = None) -> AppTest:
    """The app as a session that logged in as `username` (at `login_at`, default now)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["yb_session"] = sessions.Session(username, login_at or time.time())
    return at.run()


def texts(at: AppTest) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption]
    parts += [e.value for e in at.error] + [e.value for e in at.info] + [e.value for e in at.title]
    parts += [e.value for e in at.warning]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("spec", PAGES, ids=[p.stem for p in PAGES])
def test_page_by_role(use_fixture_db, spec, role):
    at = logged_in_app(DEMO_BY_ROLE[role])
    assert not at.exception
    if role in spec.roles:
        at.switch_page(f"app_pages/{spec.stem}.py").run()
        assert not at.exception, at.exception
        assert [t.value for t in at.title] == [spec.title]
        assert not at.error, [e.value for e in at.error]
    else:
        # Left out of the navigation, so the page cannot be reached at all.
        with pytest.raises(ValueError):
            at.switch_page(f"app_pages/{spec.stem}.py")


RESTRICTED = [p for p in PAGES if set(p.roles) != set(ALL_ROLES)]


@pytest.mark.parametrize("spec", RESTRICTED, ids=[p.stem for p in RESTRICTED])
def test_page_refuses_forbidden_role_even_when_run_directly(use_fixture_db, spec):
    """Defence in depth: the page's own require_role stops a role it does not allow."""
    forbidden = next(r for r in ALL_ROLES if r not in spec.roles)
    at = AppTest.from_file(str(ROOT / "app_pages" / f"{spec.stem}.py"), default_timeout=60)
    at.session_state["yb_scope"] = auth.scope_for(DEMO_BY_ROLE[forbidden])
    at.run()
    assert not at.exception
    assert not at.title
    assert "无权访问" in texts(at)


@pytest.mark.parametrize("spec", PAGES, ids=[p.stem for p in PAGES])
def test_page_without_login_stops(use_fixture_db, spec):
    at = AppTest.from_file(str(ROOT / "app_pages" / f"{spec.stem}.py"), default_timeout=60).run()
    assert not at.exception
    assert not at.title
    assert "请先登录" in texts(at)


def test_app_without_login_shows_only_login(use_fixture_db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    labels = [t.label for t in at.text_input]
    assert labels == ["用户名", "密码"]
    assert not at.title
    assert not at.metric


def test_login_form_rejects_wrong_password_and_accepts_right(use_fixture_db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.text_input[0].input("sw_hongmei")
    at.text_input[1].input("wrong-password-1")
    at.button[0].click().run()
    assert "yb_session" not in at.session_state
    assert "用户名或密码错误" in texts(at)
    assert not at.title

    at.text_input[0].input("sw_hongmei")
    at.text_input[1].input("Demo@2026")
    at.button[0].click().run()
    assert at.session_state["yb_session"].username == "sw_hongmei"
    assert [t.value for t in at.title] == ["首页"]


def test_home_shows_user_org_and_scope_counts(use_fixture_db):
    at = logged_in_app("sw_tianxian")
    body = texts(at)
    assert "毛社工" in body
    assert "闸弄口街道" in body and "天仙社区" in body
    assert "社区社工" in body
    scope = auth.scope_for("sw_tianxian")
    with db.cursor() as cur:
        expected = {
            f"辖区{label}": cur.execute(
                f"select count(*) from {table} where starts_with({column}, $o){active}",  # noqa: S608
                {"o": scope.org_code},
            ).fetchone()[0]
            for label, table, column, active in (
                ("人口", "resident", "grid_code", " and status = 'active'"),
                ("户", "household", "grid_code", " and status = 'active'"),
                ("房屋", "house", "grid_code", " and status = 'active'"),
                ("商铺", "shop", "grid_code", " and status = 'active'"),
                ("网格", "org_unit", "code", " and level = 'grid'"),
            )
        }
    assert all(expected.values()), expected  # the community has some of everything
    shown = {m.label: int(m.value.replace(",", "")) for m in at.metric}
    assert shown == expected


def test_session_of_unknown_user_is_ended(use_fixture_db):
    """A session whose account no longer exists is sent back to the login."""
    at = logged_in_app("nobody")
    assert not at.exception
    assert not at.title
    assert "账户已停用" in texts(at)
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
