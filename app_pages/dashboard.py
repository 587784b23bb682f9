"""数据大屏: the unit's population, housing, shop, grid, quality and usage figures; wall screen or console."""

import html

import streamlit as st

from yibiaotong import dashboard
from yibiaotong.scope import AccessDenied
from yibiaotong.ui import charts, dashboard_board
from yibiaotong.ui.shell import keep_session, page_header, require_role

scope = require_role("district_admin", "street_leader")

REFRESH_SECONDS = dashboard_board.REFRESH_SECONDS

screen = st.query_params.get("mode") == "screen"
p = charts.palette(screen)
try:
    org = dashboard.view_org(scope, st.query_params.get("org"))
except (AccessDenied, ValueError):
    st.warning("链接中的辖区不在您的权限范围内，已显示本辖区。")
    org = scope.org_code
    st.query_params.pop("org", None)
path = dashboard.drill_path(scope, org)

st.markdown(charts.page_css(p, screen), unsafe_allow_html=True)
if screen:
    header = st.columns([3.2, 1.6, 1.6, 0.9, 1.2], vertical_alignment="bottom")
    header[0].markdown(
        f"<div class='yb-screen-title'><span>{html.escape(path[-1]['name'])} · 数据大屏</span>"
        f"<small>{html.escape(' › '.join(u['name'] for u in path[:-1]))}</small></div>",
        unsafe_allow_html=True,
    )
    controls = header[1:]
else:
    crumbs = " › ".join(u["name"] for u in path)
    page_header("dashboard", f"{crumbs} · 数据每 {REFRESH_SECONDS[False] // 60} 分钟自动刷新")
    controls = st.columns([2, 2, 1, 1.3], vertical_alignment="bottom")


def go_to(code: str) -> None:
    st.query_params["org"] = code


def on_pick(key: str) -> None:
    go_to(st.session_state[key])


def on_mode() -> None:
    if st.session_state["dash_screen"]:
        st.query_params["mode"] = "screen"
    else:
        st.query_params.pop("mode", None)


# Drill-down: a select per level below the caller's own unit (district → street → community).
for i, unit in enumerate(path[:2]):
    if unit["level"] == "community":
        break
    names = {unit["code"]: f"{unit['name']}（全部）"}
    names.update((o["code"], o["name"]) for o in dashboard.drill_options(scope, unit["code"]))
    chosen = path[i + 1]["code"] if i + 1 < len(path) else unit["code"]
    # Keyed by the unit shown, so the select follows the URL after a click on a chart.
    key = f"dash_pick_{unit['code']}_{org}"
    controls[i].selectbox(
        "选择" + dashboard.LEVEL_NAMES[dashboard.CHILD_LEVEL[unit["level"]]],
        list(names),
        index=list(names).index(chosen),
        format_func=names.get,
        key=key,
        on_change=on_pick,
        args=(key,),
        label_visibility="collapsed" if screen else "visible",
    )
controls[2].toggle("大屏模式", value=screen, key="dash_screen", on_change=on_mode)
controls[3].download_button(
    "导出汇总 Excel",
    data=lambda: dashboard.export_xlsx(scope, org),
    file_name=dashboard.export_name(dashboard.figures(scope, org)),
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    icon=":material/download:",
    on_click="ignore",
    key="dash_export",
)


@st.fragment(run_every=REFRESH_SECONDS[screen])
def board() -> None:
    keep_session()  # timed refreshes end with the session, as full runs do
    dashboard_board.board(scope, org, screen, go_to)


board()
