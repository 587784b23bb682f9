"""The app frame: login (streamlit-authenticator behind our own checks), navigation, role gate."""

from __future__ import annotations

import logging
import os
import uuid

import jwt
import streamlit as st
import streamlit_authenticator as stauth

from yibiaotong import audit, auth, catalog, config, db
from yibiaotong.scope import Scope
from yibiaotong.ui.markdown import literal
from yibiaotong.ui.pages import BY_STEM, pages_for

log = logging.getLogger("yibiaotong")

_SESSION_KEYS = ("yb_verified", "yb_cookie_ok", "yb_scope", "yb_login_message")
LOGIN_FIELDS = {
    "Form name": "账号登录",
    "Username": "用户名",
    "Password": "密码",
    "Login": "登录",
    "Captcha": "验证码",
}


def _stop_with(message: str) -> None:
    st.error(message)
    st.stop()


def _authenticator(key: str) -> stauth.Authenticate:
    authenticator = stauth.Authenticate(
        auth.credentials(),
        cookie_name=config.COOKIE_NAME,
        cookie_key=key,
        cookie_expiry_days=config.cookie_expiry_days(),
        auto_hash=False,
        login_sleep_time=0,
    )
    model = authenticator.authentication_controller.authentication_model

    # The library's own attempt limit never fires or locks forever; ours is time-windowed,
    # stored in DuckDB and logs every attempt.
    def checked_credentials(username: str, password: str) -> bool:
        result = auth.check_login(username, password)
        st.session_state["yb_login_message"] = result.message
        if result.ok:
            st.session_state["yb_verified"] = username
        return result.ok

    model.check_credentials = checked_credentials
    return authenticator


def _cookie_token(key: str) -> dict | None:
    raw = st.context.cookies.get(config.COOKIE_NAME)
    if not raw:
        return None
    try:
        return jwt.decode(raw, key, algorithms=["HS256"])
    except jwt.PyJWTError:
        return None


def _vet_cookie(key: str) -> None:
    """Before the library reads the re-login cookie, refuse one issued before a logout."""
    if st.session_state.get("authentication_status") or st.session_state.get("logout"):
        return
    token = _cookie_token(key)
    if not token or "username" not in token or "exp_date" not in token:
        return
    username = token["username"]
    issued_at = token["exp_date"] - config.cookie_expiry_days() * 86400
    if auth.cookie_is_current(username, issued_at):
        st.session_state["yb_cookie_ok"] = username
    else:
        st.session_state["logout"] = True  # makes the library ignore the cookie this session
        auth.record(username, "cookie_rejected", "注销后或锁定期间的旧 Cookie 被拒绝")


def _clear_session() -> None:
    for k in ("name", "username", "authentication_status", "email", "roles"):
        st.session_state[k] = None
    for k in _SESSION_KEYS:
        st.session_state.pop(k, None)


def _login_screen(authenticator: stauth.Authenticate) -> None:
    left, middle, right = st.columns([1, 2, 1])
    with middle:
        st.markdown("<div class='yb-brand'>一表通</div>", unsafe_allow_html=True)
        st.caption("上城区基层数据“一表通” · 一人录入、上下共享、报表一键生成")
        authenticator.login(location="main", fields=LOGIN_FIELDS, key="login_form")
        if st.session_state.get("authentication_status") is False:
            st.error(st.session_state.get("yb_login_message") or "用户名或密码错误。")
        st.caption("忘记密码或账户被锁定，请联系区数据局管理员。")


def login() -> Scope:
    """Render the login until a user is authenticated by us; return the user's Scope."""
    try:
        key = auth.cookie_key()
    except auth.InsecureConfig as exc:
        _stop_with(f"系统配置不安全，已拒绝启动：{exc}")
    if not db.is_initialised():
        _stop_with("数据库尚未初始化。请在项目目录运行 `make run` 或 `yibiaotong init`。")

    authenticator = _authenticator(key)
    _vet_cookie(key)
    if not st.session_state.get("authentication_status"):
        _login_screen(authenticator)
    username = st.session_state.get("username")
    if not st.session_state.get("authentication_status"):
        st.stop()

    if st.session_state.get("yb_verified") != username:
        if st.session_state.get("yb_cookie_ok") == username:
            st.session_state["yb_verified"] = username
            auth.record(username, "login_cookie", "Cookie 自动登录")
        else:
            # Logged in by a path we did not vet: refuse.
            _clear_session()
            st.session_state["logout"] = True
            st.rerun()
        # No rerun here: this run goes on to build the role's navigation, so a bookmarked page
        # (e.g. /dashboard?mode=screen on a wall screen) opens directly after the cookie login.

    scope = auth.scope_for(username)
    if scope is None:
        _clear_session()
        _stop_with("账户已停用，请联系管理员。")
    st.session_state["yb_scope"] = scope

    with st.sidebar:
        st.markdown(f"**{literal(scope.name)}** · {scope.role_name}")
        st.caption(literal(catalog.org_label(scope.org_code)))
        authenticator.logout(
            "退出登录", location="sidebar", key="logout_button", callback=_on_logout
        )
    if not st.session_state.get("authentication_status"):
        _clear_session()
        st.session_state["logout"] = True
        st.rerun()
    return scope


def _on_logout(info: dict) -> None:
    if info.get("username"):
        auth.revoke_sessions(info["username"])


def navigation(scope: Scope):
    """st.navigation with only the role's pages: forbidden pages are left out, not hidden."""
    sections: dict[str, list] = {}
    for spec in pages_for(scope.role):
        page = st.Page(
            f"app_pages/{spec.stem}.py",
            title=spec.title,
            icon=spec.icon,
            url_path=spec.stem,
            default=spec.stem == "home",
        )
        sections.setdefault(spec.section, []).append(page)
    return st.navigation(sections, position="sidebar")


def view_token(page) -> str:
    """The current page view for audit.viewed: the same token on every rerun of a page, a new
    one when the user opens another page (or reloads the browser, a new session)."""
    if st.session_state.get("yb_view_page") != page.url_path:
        st.session_state["yb_view_page"] = page.url_path
        st.session_state["yb_view"] = uuid.uuid4().hex
    return st.session_state["yb_view"]


def run_page(page) -> None:
    """Run the page; any unexpected error becomes a Chinese message, never a traceback."""
    try:
        if os.environ.get("YIBIAOTONG_FAULT_PAGE") == page.url_path:  # e2e fault injection
            raise RuntimeError("injected fault for the error-boundary test")
        if message := st.session_state.pop("yb_flash", None):
            st.toast(message, icon=":material/check_circle:")
        with audit.page_view(view_token(page)):
            page.run()
    except db.DatabaseLockedError as exc:
        st.error(str(exc))
    except Exception:
        log.exception("page %s failed", page.url_path)
        st.error("页面出现错误，操作未完成，数据未被修改。请刷新重试；如仍有问题请联系管理员。")


def flash(message: str) -> None:
    """A toast that survives the st.rerun() that follows a save."""
    st.session_state["yb_flash"] = message


def require_role(*roles: str) -> Scope:
    """First line of every page: the caller's Scope, or stop when the role may not open it."""
    scope: Scope | None = st.session_state.get("yb_scope")
    if scope is None:
        _stop_with("请先登录。")
    if scope.role not in roles:
        _stop_with("您的角色无权访问此页面。")
    return scope


def page_header(stem: str, caption: str | None = None) -> None:
    spec = BY_STEM[stem]
    st.title(spec.title)
    st.caption(caption or spec.summary)


def under_construction(stem: str) -> None:
    """The clear '建设中' state a page shows until its issue lands."""
    page_header(stem)
    st.info(
        f"“{BY_STEM[stem].title}”功能建设中，即将上线。当前可先使用首页和字段与标签标准。",
        icon=":material/construction:",
    )


_CSS = """
<style>
.yb-brand {font-size: 2.6rem; font-weight: 700; color: #1F5FBF; letter-spacing: .2rem;
           margin-top: 8vh; text-align: center;}
[data-testid="stCaptionContainer"] {text-align: left;}
</style>
"""


def style() -> None:
    st.markdown(_CSS, unsafe_allow_html=True)
