"""数据大屏 board: KPI tiles and the chart panels of one org unit, laid out for wall or console."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from yibiaotong import dashboard
from yibiaotong.scope import Scope
from yibiaotong.ui import charts, visit_board
from yibiaotong.ui.markdown import literal

REFRESH_SECONDS = {True: 60, False: 300}
RANKED_BARS = {True: 6, False: 10}  # bars of a ranked chart (rental, grids, quality)


def board(scope: Scope, org: str, screen: bool, go_to: Callable[[str], None]) -> None:
    """Every figure of the unit; `go_to(code)` drills down when a column is clicked."""
    p = charts.palette(screen)
    figs = dashboard.figures(scope, org)
    k = figs.kpi
    child = dashboard.LEVEL_NAMES[figs.child_level]
    unit = dashboard.LEVEL_NAMES[figs.unit_level]
    top = RANKED_BARS[screen]

    tiles = [
        ("实有人口", k["residents"], None),
        ("户籍人口", k["registered"], None),
        ("流动人口", k["floating"], None),
        ("境外人员", k["overseas"], None),
        ("在册户数", k["households"], None),
        ("房屋", k["houses"], f"出租（含群租）{k['rented_houses']:,} 套"),
        ("在营商铺", k["open_shops"], f"歇业 {k['closed_shops']:,} 家"),
        (
            "网格",
            k["grids"],
            f"超负荷（>{dashboard.GRID_LOAD_HOUSEHOLDS} 户）{k['overloaded_grids']} 个",
        ),
    ]
    # Tiles in pairs that never stack: a phone shows two a row, a laptop four, the wall eight.
    pairs = [tiles[i : i + 2] for i in range(0, len(tiles), 2)]
    per_row = 4 if screen else 2
    for start in range(0, len(pairs), per_row):
        for outer, pair in zip(st.columns(per_row), pairs[start : start + per_row], strict=True):
            for column, (label, value, note) in zip(
                outer.columns(2, wrap=False), pair, strict=True
            ):
                column.metric(label, dashboard.format_count(value), help=note, border=True)

    if figs.withheld:
        st.caption(figs.withheld)

    # Chart builders: each returns the ECharts option of one panel at a given height.
    def population(height):
        return charts.pyramid(figs.pyramid, p, height)

    def comparison(height):
        return charts.units_comparison(figs.units, p, child, height)

    def groups(height):
        births = figs.births[(figs.births["births"] != 0) | (figs.births.index < 3)]
        labels = [*figs.key_groups["group"], *(f"新生儿·{o}" for o in births["order"])]
        values = [*figs.key_groups["residents"], *births["births"]]
        colours = [p.primary] * len(figs.key_groups)
        colours += [p.secondary, p.tertiary, p.warn, p.neutral][: len(births)]
        title = "重点人群与近12个月出生"
        return charts.hbar(labels, values, p, title, height, colours=colours, unit="人")

    def occupancy(height):
        return charts.donut(
            figs.occupancy["occupancy"],
            figs.occupancy["houses"],
            p,
            "房屋使用情况",
            charts.OCCUPANCY_COLOURS,
            height,
            centre=dashboard.format_count(k["houses"]),
        )

    def rental(height):
        rows = figs.rental.head(top)
        title = f"出租率最高的{unit}"
        if rows.empty:
            return charts.empty(p, title, "暂无房屋", height)
        return charts.hbar(
            rows["name"],
            rows["share"],
            p,
            title,
            height,
            colours=[p.secondary] * len(rows),
            text=[charts.share_label(s) for s in rows["share"]],
            value_max=max(0.01, float(rows["share"].max())),
        )

    def shops(height):
        rows = figs.shop_categories.sort_values("open", ascending=False)
        if rows.empty:
            return charts.empty(p, "商铺类别", "暂无商铺", height)
        series = [("open", "在营", "primary"), ("closed", "歇业", "neutral")]
        return charts.stacked_hbar(rows, "category", series, p, "商铺类别", height)

    def inspections(height):
        return charts.donut(
            figs.inspections["inspection"],
            figs.inspections["shops"],
            p,
            "在营商铺检查",
            charts.INSPECTION_COLOURS,
            height,
            centre=dashboard.format_count(k["open_shops"]),
        )

    def grids(height):
        rows = figs.grids.head(top)
        limit = dashboard.GRID_LOAD_HOUSEHOLDS
        title = f"户数最多的网格 · 超负荷 {k['overloaded_grids']} 个"
        if rows.empty:
            return charts.empty(p, title, "暂无网格", height)
        return charts.hbar(
            rows["name"],
            rows["households"],
            p,
            title,
            height,
            colours=[p.bad if o else p.primary for o in rows["overloaded"]],
            unit="户",
            vline=limit,
            vline_label=f"负荷线 {limit} 户",
        )

    def completeness(height):
        rows = figs.completeness
        return charts.hbar(
            rows["field"],
            rows["share"],
            p,
            f"关键字段完整率（综合 {dashboard.format_share(k['completeness'])}）",
            height,
            colours=[charts.share_colour(p, s) for s in rows["share"]],
            text=[charts.share_label(s) for s in rows["share"]],
            value_max=1.0,
        )

    def weakest(height):
        rows = figs.quality_units.head(top)
        title = f"完整率最低的{unit}"
        if rows.empty:
            return charts.empty(p, title, "暂无人口", height)
        return charts.hbar(
            rows["name"],
            rows["completeness"],
            p,
            title,
            height,
            colours=[charts.share_colour(p, s) for s in rows["completeness"]],
            text=[charts.share_label(s) for s in rows["completeness"]],
            value_max=1.0,
        )

    def checks(height):
        labels = ["身份证号与出生日期不符", "身份证号与性别不符"]
        labels += [
            f"{entity}记录近{dashboard.RECENT_DAYS}天更新" for entity in figs.updated["entity"]
        ]
        values = [k["id_birth_mismatch"], k["id_sex_mismatch"], *figs.updated["records"]]
        colours = [p.bad, p.bad, *[p.primary] * len(figs.updated)]
        return charts.hbar(labels, values, p, "数据校验与更新", height, colours=colours)

    def templates(height):
        rows = figs.usage["templates"]
        return charts.hbar(
            rows["department"], rows["templates"], p, "各部门在用报表模板", height, unit="个"
        )

    def draw(where, builder, height, **drill):
        charts.show(where, builder(height), height, **drill)

    def drill(where, height):
        if figs.child_level not in dashboard.DRILL_LEVELS:
            draw(where, comparison, height)
            return
        # A click on a unit's column drills down to it.
        draw(where, comparison, height, key=f"dash_units_{org}", go_to=go_to)

    def usage(where, height):
        days = dashboard.RECENT_DAYS
        tiles = [
            ("本月报表", k["reports_month"], "本月为本辖区一键生成的报表份数"),
            ("节省工时", k["hours_saved"], "本月生成报表节省的人工（小时）"),
            ("在用模板", k["templates"], "各部门现行有效的报表模板数"),
            ("社工更新", k["sw_records"], f"近{days}天社区社工编辑过的台账记录数"),
        ]
        by_department = figs.usage["templates"]
        with where.container(key="dash_usage"):
            st.markdown("<div class='yb-panel-title'>一表通使用</div>", unsafe_allow_html=True)
            per_row = 4 if screen else 2
            for start in range(0, len(tiles), per_row):
                row = st.columns(per_row, wrap=False)
                for column, (label, value, note) in zip(
                    row, tiles[start : start + per_row], strict=True
                ):
                    column.metric(label, dashboard.format_count(value), help=note, border=True)
            if by_department is None:
                st.caption("各部门在用报表模板：暂无")
            elif screen:
                leading = "、".join(f"{literal(d)} {n}" for d, n in by_department.head(4).values)
                st.caption(f"在用模板：{leading} 等 {len(by_department)} 个部门")
            else:
                draw(st, templates, max(240, 26 * len(by_department) + 60))
            if (admitted := figs.usage.get("admission")) and screen:  # one line on the wall
                st.caption(
                    f"报表准入：申请 {admitted['received']} · 批准 {admitted['approved']} · "
                    f"并入 {admitted['merged']} · 到期 {admitted['templates_retired']}"
                )
            elif admitted:
                st.caption(
                    f"报表准入：收到申请 {admitted['received']} · 批准新建 {admitted['approved']} · "
                    f"并入现有 {admitted['merged']} · 不予通过 {admitted['rejected']}；"
                    f"模板在用 {admitted['templates_active']}、到期停用 {admitted['templates_retired']}；"
                    f"表单归并 {admitted['forms_consolidated']} 张，省去重复字段 {admitted['fields_saved']} 个"
                )
            st.caption(
                f"近{days}天活跃社工 {k['sw_workers']} 人 · 更新于 "
                f"{figs.computed_at:%Y-%m-%d %H:%M:%S}，每 {REFRESH_SECONDS[screen]} 秒刷新"
            )

    def panel(builder):
        return lambda where, height: draw(where, builder, height)

    if screen:
        # The withheld-figures note takes a line; the bottom lists give it back so the wall fits.
        bottom = 250 - (28 if figs.withheld else 0)
        rows = [
            (334, [(panel(population), 1), (drill, 1.35), (panel(groups), 1)]),
            (
                282,
                [
                    (panel(occupancy), 0.8),
                    (panel(rental), 1),
                    (panel(shops), 1.15),
                    (panel(inspections), 0.8),
                    (panel(grids), 1.25),
                ],
            ),
            (
                bottom,
                [
                    (panel(completeness), 0.95),
                    (panel(weakest), 0.95),
                    (panel(checks), 1.05),
                    (usage, 1.45),
                ],
            ),
        ]
    else:
        rows = [
            (400, [(panel(population), 1), (drill, 1)]),
            (360, [(panel(groups), 1), (panel(grids), 1)]),
            (320, [(panel(occupancy), 1), (panel(rental), 1)]),
            (320, [(panel(shops), 1), (panel(inspections), 1)]),
            (320, [(panel(completeness), 1), (panel(weakest), 1)]),
            (320, [(panel(checks), 1), (usage, 1)]),
            (340, [(visit_board.panel(scope, org, p, go_to), 1)]),
        ]
    for height, panels in rows:
        columns = st.columns([weight for _, weight in panels])
        for column, (show, _) in zip(columns, panels, strict=True):
            show(column, height)
