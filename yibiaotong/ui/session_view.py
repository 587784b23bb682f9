"""Login screen, the per-run session check, idle timeout, the re-login cookie and password forms.

The cookie is written by a script in an st.html element: unlike a custom component it sends no
value back, so logging in never triggers a second run that could swallow the user's click."""

from __future__ import annotations

import json
import time

import streamlit as st

from yibiaotong import auth, catalog, config, console, db, passwords, sessions
from yibiaotong.scope import Scope
from yibiaotong.ui.markdown import literal

DEMO_BANNER = "本系统运行的是虚构的演示辖区，账号和密码是公开的。"
# A run that shows the login draws no navigation; the sidebar of an ended session would linger.
_NO_SIDEBAR = (
    "<style>[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'],"
    " [data-testid='stExpandSidebarButton'] {display: none;}</style>"
)


def _client_address() -> str | None:
    """The browser's address (None on this machine; a stand-in object under AppTest)."""
    address = st.context.ip_address
    return address if isinstance(address, str) else None


def _stop_with(message: str) -> None:
    st.error(message)
    st.stop()


def _write_cookie(token: str | None) -> None:
    """Set (or with None, delete) the re-login cookie in the browser."""
    max_age = int(config.idle_minutes() * 60) if token else 0
    url = st.context.url
    secure = "; Secure" if isinstance(url, str) and url.startswith("https:") else ""
    cookie = f"{config.COOKIE_NAME}={token or ''}; Max-Age={max_age}; Path=/; SameSite=Strict"
    st.html(
        f"<script>document.cookie = {json.dumps(cookie + secure)};</script>",
        unsafe_allow_javascript=True,
    )


def _start(session: sessions.Session) -> None:
    st.session_state["yb_session"] = session
    st.session_state["yb_last_active"] = time.time()
    st.session_state["yb_cookie_at"] = 0.0  # write the cookie on this run


def _end(session: sessions.Session, message: str, reason: str | None = None) -> None:
    """Log why, forget the session in this browser (cookie too), show the login with `message`."""
    sessions.end(session, reason or message)
    for k in ("yb_session", "yb_scope", "yb_last_active", "yb_cookie_at"):
        st.session_state.pop(k, None)
    st.session_state["yb_no_cookie"] = True  # the handshake cookie of this tab is spent
    st.session_state["yb_forget_cookie"] = True
    st.session_state["yb_ended"] = message
    st.rerun()


def _demo_banner() -> None:
    """A strip fixed to the top of the window on every page: visible, yet it takes no room from
    the page (the wall screen must still fit its 1080 px) and lets clicks through."""
    st.html(
        f"<div title='{DEMO_BANNER}' style='position:fixed;top:0.35rem;left:50%;"
        "transform:translateX(-50%);z-index:999991;pointer-events:none;white-space:nowrap;"
        "background:#FFF4E5;border:1px solid #F0B35B;color:#7A4A00;border-radius:6px;"
        "padding:2px 10px;font-size:0.85rem;font-weight:600'>演示数据，请勿录入真实信息</div>"
    )


def _login_screen() -> sessions.Session | None:
    """The login form; returns the session when this run logged in."""
    st.html(_NO_SIDEBAR)
    screen = st.empty()
    with screen.container():
        _, middle, _ = st.columns([1, 2, 1])
        with middle:
            st.markdown("<div class='yb-brand'>一表通</div>", unsafe_allow_html=True)
            st.caption("上城区基层数据“一表通” · 一人录入、上下共享、报表一键生成")
            if ended := st.session_state.pop("yb_ended", None):
                st.warning(ended, icon=":material/logout:")
            with st.form("login_form"):
                st.subheader("账号登录")
                username = st.text_input("用户名", autocomplete="username")
                password = st.text_input("密码", type="password", autocomplete="current-password")
                submitted = st.form_submit_button("登录", type="primary")
            message = st.empty()
            st.caption("忘记密码或账户被锁定，请联系区数据局管理员。")
    if not submitted:
        return None
    result = sessions.login(username, password, _client_address())
    if not result.ok:
        message.error(result.message)
        return None
    return result.session


def _live_session(key: str) -> sessions.Session | None:
    session = st.session_state.get("yb_session")
    if session is None and not st.session_state.get("yb_no_cookie"):
        # A new tab or a reload: the cookie may carry a session on (checked like any run).
        session = sessions.resume(st.context.cookies.get(config.COOKIE_NAME), key)
        if session:
            _start(session)
        else:
            st.session_state["yb_no_cookie"] = True
    return session


def _unavailable(reason: str) -> None:
    """The Chinese page shown while the database cannot be opened; it checks again every few
    seconds and reloads by itself once the database is back or the reason changes (the first
    view may come while the console is still trying to open the file)."""
    st.title("一表通暂时无法使用")
    st.error(reason, icon=":material/database_off:")
    st.info("系统会每隔几秒自动重试，恢复后本页自动刷新；如长时间无法使用，请联系区数据局管理员。")

    @st.fragment(run_every=3)
    def retry() -> None:
        if _database_problem() != reason:
            st.rerun()

    retry()
    st.stop()


def _database_problem() -> str | None:
    """Why the database cannot be used now (in Chinese), or None."""
    if problem := console.database_problem():
        return problem
    try:
        if not db.is_initialised():
            return "数据库尚未初始化。请在项目目录运行 `make run` 或 `yibiaotong init`。"
    except db.DatabaseUnavailable as exc:
        return str(exc)
    return None


def login() -> Scope:
    """Run on every run of the app: the caller's Scope, or the login screen and st.stop().
    Each run re-reads the account (one primary-key lookup): a deactivation, lock, logout
    elsewhere, password change or change of rights ends the session here and now."""
    auth.client_address.set(_client_address())
    try:
        key = sessions.cookie_key()
    except sessions.InsecureConfig as exc:
        _stop_with(f"系统配置不安全，已拒绝启动：{exc}")
    if problem := _database_problem():
        _unavailable(problem)
    if auth.install_kind() == "demo":
        _demo_banner()

    session = _live_session(key)
    if session is None:
        if st.session_state.pop("yb_forget_cookie", False):
            _write_cookie(None)
        if not auth.count_users():
            _stop_with(
                "尚未创建任何账号。请由系统管理员在服务器上运行 "
                "`yibiaotong init --admin 用户名` 创建区数据局管理员。"
            )
        session = _login_screen()
        if session is None:
            st.stop()
        _start(session)
        st.rerun()  # the next run draws the navigation and writes the cookie

    now = time.time()
    if sessions.idle_expired(st.session_state.get("yb_last_active", now), now):
        minutes = f"{config.idle_minutes():g}"
        _end(session, f"超过 {minutes} 分钟未操作，已自动退出，请重新登录。", "超时未操作")
    if sessions.too_long(session, now):
        hours = f"{config.session_max_hours():g}"
        _end(session, f"本次登录已超过 {hours} 小时，请重新登录。", "登录超过最长时限")
    try:
        scope, must_change = sessions.check(session)
    except sessions.SessionEnded as exc:
        _end(session, str(exc))
    st.session_state["yb_last_active"] = now
    refresh_every = config.idle_minutes() * 60 / 6  # the cookie slides with the user's work
    if now - st.session_state.get("yb_cookie_at", 0.0) > refresh_every:
        _write_cookie(sessions.issue_token(session, key, now))
        st.session_state["yb_cookie_at"] = now

    _sidebar(scope)
    if must_change:
        _forced_password_change(scope, key)
    st.session_state["yb_scope"] = scope
    return scope


def _sidebar(scope: Scope) -> None:
    with st.sidebar:
        st.markdown(f"**{literal(scope.name)}** · {scope.role_name}")
        st.caption(literal(catalog.org_label(scope.org_code)))
        st.button("退出登录", key="logout_button", on_click=_logout)


def _logout() -> None:
    session = st.session_state.get("yb_session")
    if session is not None:
        sessions.logout(session)
    for k in ("yb_session", "yb_scope", "yb_last_active", "yb_cookie_at"):
        st.session_state.pop(k, None)
    st.session_state["yb_no_cookie"] = True
    st.session_state["yb_forget_cookie"] = True
    st.session_state["yb_ended"] = "您已退出登录，本账号在其他设备上的登录也已结束。"


def keep_session() -> None:
    """First line of a fragment that reruns on a timer (the wall screen): the same check as a
    full run, so a revoked session stops there too; the full rerun then says why. A timer is
    not a user at work, so it does not reset the idle clock."""
    session = st.session_state.get("yb_session")
    try:
        if session is None:
            raise sessions.SessionEnded("请先登录。")
        sessions.check(session)
    except sessions.SessionEnded:
        st.rerun(scope="app")


def password_form(scope: Scope, key: str, form_key: str) -> bool:
    """Change the caller's own password; True once changed. Their other sessions end; this one
    goes on (its login time moves to the change) with a fresh cookie."""
    with st.form(form_key, clear_on_submit=True):
        current = st.text_input("当前密码", type="password", autocomplete="current-password")
        new = st.text_input("新密码", type="password", autocomplete="new-password")
        confirm = st.text_input("再次输入新密码", type="password", autocomplete="new-password")
        st.caption(f"密码要求：{passwords.RULES}")
        submitted = st.form_submit_button("修改密码", type="primary")
    if not submitted:
        return False
    try:
        valid_after = auth.change_own_password(scope, current, new, confirm)
    except auth.AuthError as exc:
        st.error(literal(exc))
        return False
    session = sessions.Session(scope.username, valid_after)
    st.session_state["yb_session"] = session
    _write_cookie(sessions.issue_token(session, key))
    st.session_state["yb_cookie_at"] = time.time()
    return True


def _forced_password_change(scope: Scope, key: str) -> None:
    """An admin set this password: nothing else opens until the user sets their own."""
    screen = st.empty()
    with screen.container():
        st.title("请先修改密码")
        st.info(
            "您的密码由管理员设置（新账号或重置密码）。为保护辖区居民的信息，"
            "请先设置只有您自己知道的新密码，然后才能使用系统。",
            icon=":material/lock_reset:",
        )
        changed = password_form(scope, key, "forced_password")
    if not changed:
        st.stop()
    screen.empty()
    st.toast("密码已修改", icon=":material/check_circle:")
