"""系统状态 widgets: figures, backups with a button for one now, catalogue versions on offer."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from yibiaotong import config, health, offers
from yibiaotong.scope import Scope
from yibiaotong.ui import job_view
from yibiaotong.ui.markdown import literal
from yibiaotong.ui.shell import flash

KINDS = {"scheduled": "定时", "manual": "手动", "cli": "命令行"}


def _mb(size: float | None) -> str:
    if size is None:
        return "—"
    return f"{size / 1e9:.2f} GB" if abs(size) >= 1e9 else f"{size / 1e6:.1f} MB"


def _ago(at: datetime | None, now: datetime) -> str:
    if at is None:
        return "—"
    hours = (now - at).total_seconds() / 3600
    return (
        f"{hours * 60:.0f} 分钟前"
        if hours < 1
        else (f"{hours:.1f} 小时前" if hours < 48 else f"{hours / 24:.0f} 天前")
    )


def open_sessions() -> int | None:
    """Browser sessions the Streamlit server holds now (its session manager is not public API)."""
    try:
        from streamlit.runtime import Runtime

        return Runtime.instance()._session_mgr.num_active_sessions()
    except Exception:
        return None


def show(scope: Scope) -> None:
    now = datetime.now()
    s = health.status(scope, now)
    if not s["owner"]:
        st.warning(
            "控制台不是以 `make run`（serve.py）启动的：命令行交接与定时备份不可用。",
            icon=":material/warning:",
        )
    c = st.columns(3)
    c[0].metric("数据库大小", _mb(s["db_bytes"] + s["wal_bytes"]), help=literal(s["db_path"]))
    c[1].metric(
        "日增长（近 30 天）",
        "数据不足" if s["growth_per_day"] is None else _mb(s["growth_per_day"]),
        help="按每次成功备份时记录的数据库大小计算",
    )
    c[2].metric("磁盘剩余", _mb(s["disk_free"]))
    c = st.columns(3)
    sessions = open_sessions()
    c[0].metric("在线会话", "—" if sessions is None else sessions)
    c[1].metric(
        "内存",
        _mb(s["rss_bytes"]),
        help=f"控制台进程常驻内存；其中数据库引擎 {_mb(s['engine_bytes'])}，"
        f"上限 {s['memory_limit']}"
        + ("（导入进行中，临时降低）" if s["memory_budget_held"] else "")
        + f"；系统可用 {_mb(s['system_available'])}",
    )
    c[2].metric("数据版本", f"{s['data_version']:,}", help=f"结构版本 {s['schema_version']}")
    st.caption(f"控制台进程 PID {s['pid']}，启动于 {s['started']:%Y-%m-%d %H:%M}。")

    st.subheader("备份")
    good, last = s["last_good_backup"], s["last_backup"]
    if last is not None and not last["ok"]:
        st.error(
            f"最近一次备份失败（{_ago(last['finished_at'], now)}）：{literal(last['message'])}"
        )
    if good is None:
        st.warning("还没有校验通过的备份。")
    else:
        st.success(
            f"最近一次校验通过的备份：{_ago(good['finished_at'], now)}。{literal(good['message'])}"
        )
    if s["next_backup"] is not None:
        st.caption(
            f"定时备份：每 {config.backup_hours():g} 小时一次，下次约在 "
            f"{max(s['next_backup'], now):%m-%d %H:%M}；保留最近 7 天每天一个、4 周每周一个。"
            f"备份目录：{s['backup_dir']}"
        )
    else:
        st.caption("定时备份已关闭（YIBIAOTONG_BACKUP_HOURS=0）。")
    if st.button("立即备份", icon=":material/backup:", key="health_backup"):
        job_view.start(scope, "backup", "health_backup_job")
    if job_id := st.session_state.get("health_backup_job"):
        job_view.panel(scope, job_id, key="health_backup_panel")
    if s["backups"]:
        st.dataframe(
            [
                {
                    "时间": b["finished_at"],
                    "方式": KINDS.get(b["kind"], b["kind"]),
                    "校验": "通过" if b["ok"] else "失败",
                    "大小": _mb(b["backup_bytes"]),
                    "行数": b["total_rows"],
                    "说明": b["message"],
                }
                for b in s["backups"]
            ],
            column_config={"时间": st.column_config.DatetimeColumn(format="MM-DD HH:mm")},
            hide_index=True,
            placeholder="",
        )

    st.subheader("后台任务")
    if s["jobs"]:
        for j in s["jobs"]:
            st.progress(
                j["progress"],
                text=f"{literal(j['title'])} · {literal(j['owner'])} · {literal(j['step'])}",
            )
    else:
        st.caption("没有正在运行或排队的任务。")
    st.page_link("app_pages/jobs.py", label="查看全部任务", icon=":material/pending_actions:")

    catalogue_offers(scope)


def catalogue_offers(scope: Scope) -> None:
    """Newer catalogue versions of rules and templates edited here: adopt or keep the edit."""
    waiting = offers.pending(scope)
    st.subheader("参考目录新版本")
    if not waiting:
        st.caption("没有待确认的新版本：控制台中修改过的规则和模板都保持原样。")
        return
    st.info(
        f"有 {len(waiting)} 项在控制台修改过的内容，参考目录发布了新版本。启动时不会自动覆盖，请逐项决定。"
    )
    for o in waiting:
        key = f"offer_{o['kind']}_{o['code']}_{o['version']}"
        with st.container(border=True):
            st.markdown(f"**{'标签' if o['kind'] == 'tag' else '报表模板'}：{literal(o['name'])}**")
            st.text(f"正在使用：{o['in_use']}（{o['edited']}）\n参考目录：{o['offered']}")
            left, right, _ = st.columns([1, 1, 3])
            try:
                if left.button("采用新版本", key=f"{key}_adopt", type="primary"):
                    flash(offers.adopt(scope, o["kind"], o["code"], o["version"]))
                    st.rerun()
                if right.button("保留现有", key=f"{key}_keep"):
                    flash(offers.decline(scope, o["kind"], o["code"], o["version"]))
                    st.rerun()
            except offers.OfferError as exc:
                st.warning(literal(exc))
