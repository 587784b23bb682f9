"""The app frame: login (see session_view), navigation, role gate, the error boundary."""

from __future__ import annotations

import logging
import os
import sys
import time
import uuid

import streamlit as st

from yibiaotong import audit, db
from yibiaotong.scope import Scope
from yibiaotong.ui.markdown import literal
from yibiaotong.ui.pages import BY_STEM, pages_for
from yibiaotong.ui.session_view import keep_session, login  # noqa: F401  (the app's entry points)

log = logging.getLogger("yibiaotong")


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
            visibility="visible" if spec.in_menu else "hidden",
        )
        sections.setdefault(spec.section, []).append(page)
    # Every page of the role stays visible: no "View more" fold hides the system pages.
    nav = st.navigation(sections, position="sidebar", expanded=True)
    for spec in pages_for(scope.role):
        if not spec.in_menu:  # reached from under the user's name, not from the menu
            st.sidebar.page_link(f"app_pages/{spec.stem}.py", label=spec.title, icon=spec.icon)
    return nav


def view_token(page) -> str:
    """The current page view for audit.viewed: the same token on every rerun of a page, a new
    one when the user opens another page (or reloads the browser, a new session)."""
    if st.session_state.get("yb_view_page") != page.url_path:
        st.session_state["yb_view_page"] = page.url_path
        st.session_state["yb_view"] = uuid.uuid4().hex
    return st.session_state["yb_view"]


# The load bench sets this to read each page run's server time from the console's output.
_TIME_RUNS = os.environ.get("YIBIAOTONG_TIME_RUNS") == "1"


def run_page(page) -> None:
    """Run the page; any unexpected error becomes a Chinese message, never a traceback."""
    started = time.perf_counter()
    try:
        if os.environ.get("YIBIAOTONG_FAULT_PAGE") == page.url_path:  # e2e fault injection
            raise RuntimeError("injected fault for the error-boundary test")
        if message := st.session_state.pop("yb_flash", None):
            st.toast(message, icon=":material/check_circle:")
        with audit.page_view(view_token(page)):
            page.run()
    except db.DatabaseUnavailable as exc:
        st.error(str(exc))
    except Exception:
        log.exception("page %s failed", page.url_path)
        st.error("页面出现错误，操作未完成，数据未被修改。请刷新重试；如仍有问题请联系管理员。")
    finally:  # also a run cut short by a newer click (Streamlit's rerun passes through here)
        if _TIME_RUNS:
            ms = (time.perf_counter() - started) * 1000
            print(f"yb-page-run {page.url_path or 'home'} {ms:.0f}", file=sys.stderr, flush=True)


def flash(message: str) -> None:
    """A toast that survives the st.rerun() that follows a save (its text shown as typed: it may
    name a user, a code or a template)."""
    st.session_state["yb_flash"] = literal(message)


def _stop_with(message: str) -> None:
    st.error(message)
    st.stop()


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
/* Below Streamlit's md breakpoint the page already starts under the header, yet the block keeps
   theme.paddingTop *plus* the header's height above the title: give phones the same gap. */
@media (max-width: 767.98px) {
    .stMain [data-testid="stMainBlockContainer"] {padding-top: 0.5rem;}
}
</style>
"""


def style() -> None:
    st.markdown(_CSS, unsafe_allow_html=True)
