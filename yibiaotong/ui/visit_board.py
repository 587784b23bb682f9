"""数据大屏's 走访 panel: households visited of the open campaigns per child unit (a click drills
down like the other figures) and data freshness, the share of values verified this year."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from yibiaotong import catalog, dashboard, visits
from yibiaotong.scope import Scope
from yibiaotong.ui import charts


def panel(scope: Scope, org: str, p: charts.Palette, go_to: Callable[[str], None]):
    """The panel as the board's rows draw it: a callable of (where, height)."""

    def show(where, height: int) -> None:
        rows = visits.board_progress(scope, org)
        fresh = visits.freshness(scope, org)
        tasks = sum(r["tasks"] for r in rows)
        done = sum(r["done"] for r in rows)
        with where.container(key="dash_visits"):
            left, right = st.columns(2, wrap=False)
            left.metric(
                "走访进度",
                f"{done / tasks:.0%}" if tasks else "—",
                help="进行中的走访：已完成（已走访、不在家、拒访、已搬离）的户数占任务户数",
                border=True,
            )
            right.metric(
                "数据新鲜度",
                dashboard.format_share(fresh["share"]),
                help="近12个月入户核实过的人口信息占全部已填信息的比例",
                border=True,
            )
            if not rows:
                st.caption("暂无进行中的走访。")
                return
            labels = [charts.short_unit_name(r["unit_name"], wrap=False) for r in rows]
            shares = [r["done"] / r["tasks"] for r in rows]
            height = max(height - 110, 26 * len(rows) + 70)  # a row per unit, labels apart
            option = charts.hbar(
                labels,
                shares,
                p,
                f"走访完成率 · {done:,} / {tasks:,} 户",
                height,
                colours=[charts.share_colour(p, s) for s in shares],
                text=[f"{s:.0%}" for s in shares],
                ids=[r["unit"] for r in rows],
                value_max=1.0,
            )
            if catalog.org_unit(org)["level"] in dashboard.DRILL_LEVELS[:-1]:
                charts.show(st, option, height, key=f"dash_visits_{org}", go_to=go_to)
            else:
                charts.show(st, option, height)

    return show
