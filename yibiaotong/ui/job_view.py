"""Jobs on any page: a live progress panel with the result's download, and the 任务 list."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from yibiaotong import auth, jobs
from yibiaotong.scope import AccessDenied, Scope
from yibiaotong.ui.markdown import literal

POLL_SECONDS = 1.0
STATE_ICONS = {
    "queued": ":material/schedule:",
    "running": ":material/autorenew:",
    "done": ":material/check_circle:",
    "failed": ":material/error:",
    "cancelled": ":material/block:",
    "interrupted": ":material/warning:",
}
ORIGINS = {"console": "控制台", "cli": "命令行", "schedule": "定时"}


def _seconds(row: dict) -> str:
    start, end = row["started_at"], row["finished_at"] or datetime.now()
    if not start:
        return ""
    seconds = (end - start).total_seconds()
    return f"{seconds:.1f} 秒" if seconds < 60 else f"{seconds / 60:.1f} 分钟"


def _download(scope: Scope, row: dict, key: str) -> None:
    path = jobs.result_file(scope, row["id"])
    if path is None:
        if expired := jobs.expired_file(row):
            st.caption(f"结果文件 {literal(expired)} 已超过保存期限，已删除。")
        return

    def data() -> bytes:
        auth.record(scope.username, "job_download", f"{row['title']} {row['id']} {path.name}")
        return path.read_bytes()

    st.download_button(
        f"下载 {path.name}",
        data=data,
        file_name=path.name,
        icon=":material/download:",
        type="primary",
        on_click="ignore",
        key=f"{key}_download",
    )


def _render(scope: Scope, row: dict, key: str) -> None:
    state = row["state"]
    st.markdown(
        f"{STATE_ICONS[state]} **{literal(row['title'])}** · {row['state_name']} · "
        f"{row['created_at']:%m-%d %H:%M} · {literal(row['owner'])}"
    )
    if state in ("queued", "running"):
        waiting = "排队中，等待前面的任务完成…" if state == "queued" else "正在开始…"
        st.progress(row["progress"], text=literal(row["step"]) or waiting)
        if st.button("取消任务", key=f"{key}_cancel", icon=":material/cancel:"):
            try:
                jobs.cancel(scope, row["id"])
            except jobs.JobError as exc:
                st.warning(literal(exc))
        return
    message = literal(row["message"])
    if state == "done":
        st.success(message + (f"（用时 {_seconds(row)}）" if row["started_at"] else ""))
        _download(scope, row, key)
        skipped = (row["result"] or {}).get("skipped") or []
        if skipped:
            with st.expander(f"未生成 {len(skipped)} 张"):
                st.text("\n".join(f"{name}：{reason}" for name, reason in skipped))
    elif state == "cancelled":
        st.info(message)
    else:
        st.error(message)


def panel(scope: Scope, job_id: str, key: str) -> None:
    """A job's progress, live while it runs (a fragment polling every second), then its result.
    The job goes on if the page or tab is closed; 任务 finds it again."""
    try:
        row = jobs.get(scope, job_id)
    except jobs.JobError as exc:
        st.warning(literal(exc))
        return
    live = row["state"] not in jobs.FINISHED

    @st.fragment(run_every=POLL_SECONDS if live else None)
    def body() -> None:
        current = jobs.get(scope, job_id)
        if live and current["state"] in jobs.FINISHED:
            st.rerun()  # the whole page: stop polling and show the result
        _render(scope, current, key)

    body()


def start(scope: Scope, kind: str, session_key: str, **params) -> str | None:
    """Submit a job from a button; remember it in the session; errors shown in Chinese."""
    try:
        job_id = jobs.submit(scope, kind, **params)
    except (jobs.JobError, AccessDenied) as exc:
        st.error(literal(exc))
        return None
    st.session_state[session_key] = job_id
    return job_id


def _table(rows: list[dict]) -> None:
    st.dataframe(
        [
            {
                "状态": r["state_name"],
                "任务": r["title"],
                "进度": r["progress"],
                "提交人": r["owner"],
                "来源": ORIGINS.get(r["origin"], r["origin"]),
                "提交时间": r["created_at"],
                "用时": _seconds(r),
                "说明": r["message"] or r["step"],
            }
            for r in rows
        ],
        column_config={
            "进度": st.column_config.ProgressColumn("进度", min_value=0.0, max_value=1.0),
            "提交时间": st.column_config.DatetimeColumn("提交时间", format="MM-DD HH:mm:ss"),
        },
        hide_index=True,
        placeholder="",
    )


def job_list(scope: Scope) -> None:
    """Running and recent jobs (all in the district for admins, one's own for others); pick
    one to follow its progress, download its result or read its log."""
    rows = jobs.list_jobs(scope, limit=100)
    if not rows:
        st.info("还没有任务。批量生成报表、备份等较长的工作提交后会在这里显示。")
        return
    live = any(r["state"] not in jobs.FINISHED for r in rows)

    @st.fragment(run_every=POLL_SECONDS * 2 if live else None)
    def table() -> None:
        current = jobs.list_jobs(scope, limit=100)
        if live and not any(r["state"] not in jobs.FINISHED for r in current):
            st.rerun()
        _table(current)

    table()
    # No state in the label: it changes while the page stays, the panel below shows it live.
    labels = {
        r["id"]: f"{r['title']} · {r['created_at']:%m-%d %H:%M:%S} · {r['owner']}" for r in rows
    }
    chosen = st.selectbox("查看任务", list(labels), format_func=labels.get, key="jobs_pick")
    if chosen:
        panel(scope, chosen, key="jobs_panel")
        lines = jobs.log_lines(scope, chosen)
        if lines:
            with st.expander(f"任务日志（{len(lines)} 条）"):
                st.text("\n".join(f"{ln['logged_at']:%H:%M:%S} {ln['line']}" for ln in lines))
