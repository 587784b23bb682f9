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
        labels = catalog.org_labels(scope.org_code)  # one read, not one query per unit
        units = {}
        if _level(scope.org_code) in visits.CAMPAIGN_LEVELS:
            units[scope.org_code] = labels[scope.org_code]
        for level in visits.CAMPAIGN_LEVELS:
            for u in catalog.org_units_under(scope.org_code, level):
                units.setdefault(u["code"], labels[u["code"]])
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
        labels = catalog.org_labels(campaign["org_code"])
        grids = {
            u["code"]: labels[u["code"]]
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


# ---------------------------------------------------------------- paper round trip


def paper(scope: Scope, campaign: dict) -> None:
    """Download a grid's collection sheet; upload it back, preview per household, commit."""
    if scope.role not in visits.VISITORS or campaign["entity"] != "household":
        return
    from yibiaotong import visits_sheet

    st.subheader("纸质采集表")
    grids = {
        g["grid_code"]: f"{g['name']}（{g['tasks']} 户）"
        for g in visits_sheet.my_grids(scope, campaign["id"])
    }
    if not grids:
        st.caption("您在本次走访中没有分派的户。")
        return
    grid = st.selectbox("网格", list(grids), format_func=grids.get, key="paper_grid")
    st.download_button(
        "下载本网格采集表",
        data=lambda: visits_sheet.collection_sheet(scope, campaign["id"], grid),
        file_name=f"采集表_{campaign['name']}_{catalog.org_name(grid)}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        on_click="ignore",
        key="paper_download",
    )
    st.caption("已知信息已填好，需采集的列留空；表头和系统键已保护，请勿改动隐藏的第一列。")
    file = st.file_uploader("上传填好的采集表", type=["xlsx"], key=f"paper_file_{grid}")
    if file is None:
        st.session_state.pop("paper_preview", None)
        return
    data = file.getvalue()
    state = st.session_state.get("paper_preview")
    if state is None or state["name"] != (file.file_id, grid):
        try:
            check, batch_id, summary = visits_sheet.preview_sheet(scope, campaign["id"], grid, data)
        except (ledger.LedgerError, AccessDenied, ValueError) as exc:
            st.error(f"采集表未导入：{exc}")
            return
        state = {
            "name": (file.file_id, grid),
            "check": check,
            "batch": batch_id,
            "summary": summary,
        }
        st.session_state["paper_preview"] = state
    _paper_preview(state)
    if state.get("done"):
        st.success(state["done"])
        return
    if st.button(
        "确认写入台账", type="primary", key="paper_commit", disabled=not state["check"].households
    ):
        try:
            counts = visits_sheet.commit_sheet(scope, campaign["id"], grid, data, state["batch"])
        except (ledger.LedgerError, AccessDenied, ValueError) as exc:
            st.error(f"未写入：{exc}")
            return
        state["done"] = (
            f"已写入：{counts['households']} 户记录走访结果，{counts['applied']} 项更正或补录，"
            f"{counts['confirmed']} 项确认。"
        )
        st.rerun()


def _paper_preview(state: dict) -> None:
    check, summary = state["check"], state["summary"]
    st.write(
        f"共 {check.rows} 行：{len(check.households)} 户有走访结果或修改，"
        f"{check.change_count} 项修改，{len(check.refused)} 行未导入。"
    )
    if summary is not None:
        kinds = {
            "apply": "将写入",
            "conflict": "与现值同级来源不一致，进入冲突审核",
            "lower": "来源优先级低，不写入",
        }
        st.caption(
            "数据回流引擎预览："
            + "，".join(f"{kinds.get(k, k)} {n} 项" for k, n in summary.changes.items())
        )
    rows = [
        {
            "户": h.label,
            "走访结果": visits.OUTCOMES.get(h.outcome or "", ""),
            "成员": c.name,
            "字段": c.field_name,
            "原值": c.old,
            "新值": c.new,
        }
        for h in check.households.values()
        for c in (h.changes or [None])
        if c is not None
    ]
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", placeholder="")
    if check.refused:
        st.warning(f"{len(check.refused)} 行未导入，原因如下（改正后可重新上传）：")
        refused = pd.DataFrame(check.refused, columns=["行", "原因"])
        st.dataframe(refused, hide_index=True, width="stretch", placeholder="")
