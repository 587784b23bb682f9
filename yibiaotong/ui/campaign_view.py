"""走访采集 for organisers and followers: start a campaign, follow its progress per community and
grid, reassign a grid, close it and export its summary."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from yibiaotong import auth, catalog, ledger, visits
from yibiaotong.scope import AccessDenied, Scope
from yibiaotong.ui.shell import flash

PROGRESS_COLUMNS = {
    "unit_name": "单位",
    "tasks": "任务",
    "visited": "已走访",
    "not_home": "不在家",
    "refused": "拒访",
    "moved_away": "已搬离",
    "pending": "未走访",
    "done_share": "完成率",
    "confirmed": "确认",
    "corrected": "更正",
    "filled": "补录",
    "missing": "仍缺失",
    "minutes": "用时（分钟）",
}


def create_form(scope: Scope) -> None:
    """Name, unit, entity, fields to verify and to collect, dates."""
    with st.expander("发起新的走访", icon=":material/add:"):
        units = {scope.org_code: catalog.org_label(scope.org_code)}
        for level in visits.CAMPAIGN_LEVELS:
            for u in catalog.org_units_under(scope.org_code, level):
                units.setdefault(u["code"], catalog.org_label(u["code"]))
        units = {c: n for c, n in units.items() if _level(c) in visits.CAMPAIGN_LEVELS}
        entity = st.radio(
            "走访对象",
            list(visits.ENTITIES),
            format_func=visits.ENTITIES.get,
            horizontal=True,
            key="camp_entity",
        )
        fields = visits.campaign_fields(entity)
        with st.form("camp_form", border=False):
            name = st.text_input("走访名称", placeholder="如：2026年秋季网格走亲", max_chars=50)
            org = st.selectbox("走访范围", list(units), format_func=units.get)
            verify = st.multiselect(
                "需要核实的字段（台账已有，入户确认）", list(fields), format_func=fields.get
            )
            collect = st.multiselect(
                "需要采集的字段（台账缺失，入户补录）", list(fields), format_func=fields.get
            )
            left, right = st.columns(2)
            starts = left.date_input("开始日期", date.today(), format="YYYY-MM-DD")
            due = right.date_input(
                "截止日期", date.today() + timedelta(days=30), format="YYYY-MM-DD"
            )
            go = st.form_submit_button("发起走访", type="primary", icon=":material/send:")
        if go:
            try:
                with st.spinner("正在为范围内每一户生成走访任务…"):
                    visits.create_campaign(scope, name, org, entity, verify, collect, starts, due)
            except (ledger.LedgerError, AccessDenied) as exc:
                st.error(f"未发起：{exc}")
            else:
                flash("走访已发起，任务已分派到各网格社工。")
                st.rerun()


def _level(code: str) -> str | None:
    unit = catalog.org_unit(code)
    return unit["level"] if unit else None


def pick(scope: Scope) -> dict | None:
    campaigns = visits.list_campaigns(scope)
    if not campaigns:
        st.info("还没有走访活动。")
        return None
    names = {
        c["id"]: f"{c['name']}（{'进行中' if c['state'] == 'open' else '已结束'}，"
        f"{catalog.org_name(c['org_code'])}）"
        for c in campaigns
    }
    chosen = st.selectbox("走访活动", list(names), format_func=names.get, key="camp_pick")
    return next(c for c in campaigns if c["id"] == chosen)


def progress_panel(scope: Scope, campaign: dict) -> None:
    """Totals, then one row per community or grid; figures from the domain's aggregates."""
    levels = {"community": "按社区", "grid": "按网格"}
    level = st.segmented_control(
        "统计层级", list(levels), format_func=levels.get, default="community", key="camp_level"
    )
    rows = visits.progress(scope, campaign["id"], level or "community")
    frame = pd.DataFrame(rows, columns=[c for c in PROGRESS_COLUMNS if c != "done_share"])
    tasks = int(frame["tasks"].sum()) if len(frame) else 0
    done = int((frame["tasks"] - frame["pending"]).sum()) if len(frame) else 0
    tiles = st.columns(4)
    tiles[0].metric("已完成 / 任务", f"{done:,} / {tasks:,}", border=True)
    tiles[1].metric(
        "确认字段", f"{int(frame['confirmed'].sum()) if len(frame) else 0:,}", border=True
    )
    changed = int((frame["corrected"] + frame["filled"]).sum()) if len(frame) else 0
    tiles[2].metric("更正与补录", f"{changed:,}", border=True)
    tiles[3].metric("仍缺失", f"{int(frame['missing'].sum()) if len(frame) else 0:,}", border=True)
    if frame.empty:
        return
    frame["done_share"] = (frame["tasks"] - frame["pending"]) / frame["tasks"]
    frame["minutes"] = frame["minutes"].round(1)
    st.dataframe(
        frame[list(PROGRESS_COLUMNS)].rename(columns=PROGRESS_COLUMNS),
        hide_index=True,
        width="stretch",
        placeholder="",
        column_config={
            "完成率": st.column_config.ProgressColumn("完成率", format="percent", min_value=0.0)
        },
    )


def manage(scope: Scope, campaign: dict) -> None:
    """Reassign a grid, close the campaign, export its summary (organisers only)."""
    if scope.role not in visits.ORGANISERS:
        return
    left, right = st.columns(2)
    right.download_button(
        "导出走访汇总 Excel",
        data=lambda: visits.summary_xlsx(scope, campaign["id"]),
        file_name=f"走访汇总_{campaign['name']}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        on_click="ignore",
        key="camp_export",
    )
    if campaign["state"] != "open" or not scope.covers(campaign["org_code"]):
        return
    with left.popover("结束走访", icon=":material/lock:"):
        st.write("结束后所有任务冻结，社工不能再保存。")
        if st.button("确认结束", type="primary", key="camp_close"):
            try:
                visits.close_campaign(scope, campaign["id"])
            except (ledger.LedgerError, AccessDenied) as exc:
                st.error(str(exc))
            else:
                flash("走访已结束，任务已冻结。")
                st.rerun()
    with st.expander("改派网格任务"):
        grids = {
            u["code"]: catalog.org_label(u["code"])
            for u in catalog.org_units_under(campaign["org_code"], "grid")
            if scope.covers(u["code"])
        }
        grid = st.selectbox("网格", list(grids), format_func=grids.get, key="camp_grid")
        workers = {
            u["username"]: f"{u['name']}（{u['username']}）"
            for u in auth.list_users()
            if u["role"] == "social_worker" and grid and grid.startswith(u["org_code"])
        }
        worker = st.selectbox(
            "改派给", list(workers), format_func=workers.get, key="camp_worker", index=None
        )
        if st.button("改派", key="camp_reassign", disabled=worker is None):
            try:
                n = visits.reassign(scope, campaign["id"], grid, worker)
            except (ledger.LedgerError, AccessDenied) as exc:
                st.error(str(exc))
            else:
                flash(f"已改派 {n} 户。")
                st.rerun()
