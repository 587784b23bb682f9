"""Sessions in the running app: they end at once with a reason, idle ones time out, an admin-set
password is changed first, the demo says it is one, and users are managed from the page."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest
from test_pages import logged_in_app, texts

from yibiaotong import auth, bootstrap, db, sessions
from yibiaotong.config import ROOT

STRONG = "Qiantang-River-9"


def html_bodies(at: AppTest) -> str:
    return "\n".join(e.proto.body for e in at.get("html"))


def on_login_screen(at: AppTest) -> bool:
    return [t.label for t in at.text_input] == ["用户名", "密码"] and not at.title


@pytest.mark.parametrize("page", ["tag_query", "dashboard"])
@pytest.mark.parametrize("event", ["logout elsewhere", "admin lock", "password reset"])
def test_a_second_session_ends_at_its_next_run(writable_db, page, event):
    """On main this session kept running 标签查询 and 数据大屏 after all three."""
    started = time.time()
    at = logged_in_app("leader_zlk", login_at=started)
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception and at.title
    admin = auth.scope_for("admin")
    if event == "logout elsewhere":
        sessions.logout(sessions.Session("leader_zlk", started + 1))
    elif event == "admin lock":
        auth.lock_user(admin, "leader_zlk", 15)
    else:
        auth.reset_password(admin, "leader_zlk", STRONG)
    at.run()
    assert not at.exception
    assert on_login_screen(at)
    assert "本会话已结束" in texts(at) or "锁定" in texts(at)
    assert "yb_session" not in at.session_state and "yb_scope" not in at.session_state


def _timed_refresh() -> None:
    """A fragment's timed rerun: only its body runs, starting with keep_session()."""
    import streamlit as st

    from yibiaotong.ui.session_view import keep_session

    st.session_state["runs"] = st.session_state.get("runs", 0) + 1
    if st.session_state["runs"] == 1:
        keep_session()
    st.title("board")


@pytest.mark.parametrize("revoked", [False, True])
def test_timed_refresh_of_the_wall_screen_checks_the_session(writable_db, revoked):
    """数据大屏's wall mode redraws on a timer without a full run; a revoked session must not
    go on drawing: keep_session() hands over to a full run, which ends it."""
    started = time.time()
    if revoked:
        sessions.logout(sessions.Session("leader_zlk", started))
    at = AppTest.from_function(_timed_refresh, default_timeout=30)
    at.session_state["yb_session"] = sessions.Session("leader_zlk", started - 1)
    at.run()
    assert at.session_state["runs"] == (2 if revoked else 1)


def test_an_idle_session_times_out(writable_db, monkeypatch):
    monkeypatch.setenv("YIBIAOTONG_IDLE_MINUTES", "1")
    at = logged_in_app("sw_tianxian")
    assert at.title
    at.session_state["yb_last_active"] = time.time() - 30
    at.run()
    assert at.title  # half a minute: still working
    at.session_state["yb_last_active"] = time.time() - 61
    at.run()
    assert on_login_screen(at)
    assert "超过 1 分钟未操作" in texts(at)
    with db.cursor() as cur:
        last = cur.execute(
            "select username, detail from access_log where action = 'session_ended'"
            " order by logged_at desc limit 1"
        ).fetchall()
    assert last == [("sw_tianxian", "超时未操作")]


def test_an_admin_set_password_is_changed_before_anything_else(writable_db):
    auth.add_user(
        auth.scope_for("admin"), "sw_new", "新社工", STRONG, "social_worker", "330102009001"
    )
    at = logged_in_app("sw_new")
    assert [t.value for t in at.title] == ["请先修改密码"]
    assert not at.metric  # the home page did not run
    at.switch_page("app_pages/tag_query.py").run()  # a URL leads nowhere else either
    assert [t.value for t in at.title] == ["请先修改密码"]
    current, new, confirm = at.text_input[0], at.text_input[1], at.text_input[2]
    current.input(STRONG)
    new.input("password1")
    confirm.input("password1")
    at.button[0].click().run()
    assert "常见密码" in texts(at)
    assert [t.value for t in at.title] == ["请先修改密码"]
    at.text_input[0].input(STRONG)
    at.text_input[1].input("xihu#longjing88")
    at.text_input[2].input("xihu#longjing88")
    at.button[0].click().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["标签查询"]  # where the user was heading
    assert not auth.get_user("sw_new")["must_change_password"]
    at.run()  # the session goes on under its new login time
    assert [t.value for t in at.title] == ["标签查询"]


def test_every_role_can_change_their_own_password(writable_db):
    at = logged_in_app("weijian")
    at.switch_page("app_pages/account.py").run()
    assert [t.value for t in at.title] == ["修改密码"]
    at.text_input[0].input("Demo@2026")
    at.text_input[1].input(STRONG)
    at.text_input[2].input(STRONG)
    next(b for b in at.button if b.label == "修改密码").click().run()
    assert any("密码已修改" in s.value for s in at.success)
    assert sessions.login("weijian", STRONG, None).ok
    at.run()
    assert [t.value for t in at.title] == ["修改密码"]  # this session goes on


def test_the_demo_says_it_is_one_on_every_page(use_fixture_db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert "演示数据，请勿录入真实信息" in html_bodies(at)
    at = logged_in_app("admin")
    for page in ("home", "users", "tag_query"):
        at.switch_page(f"app_pages/{page}.py").run()
        assert "演示数据，请勿录入真实信息" in html_bodies(at), page


def test_a_real_install_shows_no_banner_and_asks_for_its_first_admin(tmp_path, monkeypatch):
    monkeypatch.setenv("YIBIAOTONG_DB", str(tmp_path / "real.duckdb"))
    db.close_all()
    bootstrap.initialise(residents=0)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert "yibiaotong init --admin" in texts(at)
    assert not at.text_input
    bootstrap.initialise(residents=0, admin=("wang", "王主任", STRONG))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert on_login_screen(at)
    assert "演示数据" not in html_bodies(at)
    db.close_all()


def test_no_login_run_renders_a_component_that_reruns_the_app(use_fixture_db):
    """A custom component (the old cookie manager) sends a value when it mounts and reruns the
    app, which threw away login clicks made meanwhile. None may be drawn before or after login."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.get("component_instance") and not at.get("iframe")
    at.text_input[0].input("sw_hongmei")
    at.text_input[1].input("Demo@2026")
    at.button[0].click().run()
    assert [t.value for t in at.title] == ["首页"]
    assert not at.get("component_instance") and not at.get("iframe")
    assert "document.cookie" in html_bodies(at)  # the cookie is written by a plain script


def test_users_page_deactivates_and_changes_rights(writable_db):
    at = logged_in_app("admin")
    at.switch_page("app_pages/users.py").run()
    assert not at.exception
    at.selectbox(key="users_access_user").select("sw_hongmei").run()
    at.button(key="users_deactivate").click().run()
    assert not auth.get_user("sw_hongmei")["active"]
    at.selectbox(key="users_rights_user").select("sw_tianxian").run()
    at.selectbox(key="users_role_sw_tianxian").select("street_leader").run()
    save = next(b for b in at.button if b.label == "保存修改")
    save.click().run()
    assert not at.exception, at.exception
    user = auth.get_user("sw_tianxian")
    assert (user["role"], user["org_code"]) == ("street_leader", "330102009")
    with db.cursor() as cur:
        rows = cur.execute(
            "select username, action, detail from access_log where action in"
            " ('user_deactivate', 'user_update') order by logged_at"
        ).fetchall()
    assert rows == [
        ("admin", "user_deactivate", "sw_hongmei"),
        (
            "admin",
            "user_update",
            "sw_tianxian：角色 社区社工 → 街道领导；辖区 330102009001 → 330102009",
        ),
    ]
    # Deactivating oneself, the last admin, is refused on the page too.
    at.selectbox(key="users_access_user").select("admin").run()
    at.button(key="users_deactivate").click().run()
    assert "至少保留一名" in texts(at)
    assert auth.get_user("admin")["active"]
