"""ECharts option builders with one palette (light console, dark-blue big screen) and Chinese
labels, and the one way the console draws them (`show`: SVG, no animation, own colours).

Builders are pure functions returning option dicts. User text (unit, department names) goes
only where ECharts draws plain text (axis labels, legend, titles); tooltips are HTML, so every
tooltip is written here in full and escaped (`_tip`), never a template around user text."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

FONT_FAMILY = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'
)


@dataclass(frozen=True)
class Palette:
    """Colours of one theme. A meaning keeps its hue in both themes (户籍 is always blue)."""

    name: str
    background: str
    panel: str
    text: str
    muted: str
    grid: str
    primary: str
    secondary: str
    tertiary: str
    good: str
    warn: str
    bad: str
    neutral: str
    male: str
    female: str
    font_size: int
    title_size: int

    @property
    def series(self) -> tuple[str, ...]:
        return (
            self.primary,
            self.secondary,
            self.tertiary,
            self.good,
            self.warn,
            self.bad,
            self.neutral,
        )


LIGHT = Palette(
    name="light",
    background="#FFFFFF",
    panel="#FFFFFF",
    text="#1F2A3D",
    muted="#5B6B82",
    grid="#E3E9F2",
    primary="#1F5FBF",
    secondary="#F08C00",
    tertiary="#7B4FC9",
    good="#1E9E6A",
    warn="#E0A800",
    bad="#D64545",
    neutral="#8A97A8",
    male="#2F7ED8",
    female="#E0607E",
    font_size=13,
    title_size=16,
)
DARK = Palette(
    name="dark",
    background="#071633",
    panel="#0C2148",
    text="#EAF2FF",
    muted="#9FB6D9",
    grid="#1E3A6B",
    primary="#3FA2FF",
    secondary="#FFB03A",
    tertiary="#B18CFF",
    good="#35D49A",
    warn="#FFD23F",
    bad="#FF6B6B",
    neutral="#7F93B2",
    male="#4DA8FF",
    female="#FF7FA3",
    font_size=17,
    title_size=21,
)

RESIDENCE_COLOURS = ("primary", "secondary", "tertiary")  # 户籍, 流动, 境外
OCCUPANCY_COLOURS = {"自住": "primary", "出租": "secondary", "空置": "neutral", "群租": "bad"}
INSPECTION_COLOURS = {"已检查合格": "good", "待检查": "warn", "整改中": "bad"}


def palette(dark: bool) -> Palette:
    return DARK if dark else LIGHT


Option = dict[str, Any]


def _colour(p: Palette, role: str) -> str:
    return getattr(p, role, p.neutral)


def _tip(text: str) -> dict:
    """A tooltip showing `text` as text: ECharts reads a tooltip formatter as HTML and as a
    template ({b}, {c}…), so both markup and braces are escaped."""
    escaped = html.escape(str(text)).replace("{", "&#123;").replace("}", "&#125;")
    return {"formatter": escaped}


def _label(text: str) -> str:
    """A per-bar label formatter (drawn as SVG text, never HTML): braces would be template."""
    return str(text).replace("{", "(").replace("}", ")")


def _option(p: Palette, title: str, **parts) -> Option:
    """The frame every chart shares: title top left, own colours, no animation (a wall screen
    refreshes every minute; an entry animation each time only costs the browser)."""
    return {
        "animation": False,
        "backgroundColor": p.panel,
        "textStyle": {"fontFamily": FONT_FAMILY, "fontSize": p.font_size, "color": p.text},
        "title": [
            {
                "text": title,
                "left": 8,
                "top": 6,
                "textStyle": {"fontSize": p.title_size, "color": p.text, "fontWeight": 600},
            }
        ],
        "tooltip": {
            "trigger": "item",
            "confine": True,
            "backgroundColor": p.panel,
            "borderColor": p.grid,
            "textStyle": {"fontFamily": FONT_FAMILY, "fontSize": p.font_size - 1, "color": p.text},
        },
        "grid": {
            "left": 14,  # room for a CJK label a little wider than ECharts measured it
            "right": 16,
            "top": p.title_size + 30,
            "bottom": 8,
            "containLabel": True,
        },
        **parts,
    }


def _note(text: str, p: Palette) -> dict:
    """A small red note at the top right, where a legend would go (a title of its own)."""
    return {
        "text": text,
        "right": 12,
        "top": 10,
        "textStyle": {"fontSize": p.font_size - 3, "color": p.bad, "fontWeight": "normal"},
    }


def _label_size(p: Palette, rows: int, height: int) -> int:
    """A font for one label per bar that fits its row, so no category label is crowded."""
    plot_height = height - (p.title_size + 30) - 8
    return max(11, min(p.font_size - 1, int(plot_height / max(1, rows) * 0.6)))


def _gap(bars: int) -> str:
    """Gap between bars: a handful of bars stay slim instead of filling the panel."""
    return "25%" if bars > 6 else "45%" if bars > 3 else "60%"


def _category_axis(labels: Sequence[str], size: int, p: Palette, **extra) -> dict:
    """A category axis that names every category (interval 0), even where ECharts would skip."""
    return {
        "type": "category",
        "data": list(labels),
        # lineHeight keeps the two lines of a long unit name apart.
        "axisLabel": {
            "interval": 0,
            "fontSize": size,
            "color": p.text,
            "lineHeight": int(size * 1.5),
        },
        "axisTick": {"show": False},
        "axisLine": {"lineStyle": {"color": p.grid}},
        **extra,
    }


def _hidden_value_axis(top: float) -> dict:
    return {"type": "value", "min": 0, "max": top, "show": False}


def _short(value: float) -> str:
    """Axis and label numbers: 12,345 or 1.2万 (read from across the room)."""
    if abs(value) >= 100_000:
        return f"{value / 10_000:.0f}万"
    if abs(value) >= 10_000:
        return f"{value / 10_000:.1f}万"
    return f"{value:,.0f}"


def number(value: float | str) -> float:
    """A count as a bar length: a withheld count ("<5", "—") draws nothing."""
    return 0 if isinstance(value, str) else float(value)


def count_label(value: float | str, unit: str = "") -> str:
    """A count as written on a chart: its number, or the mark it is withheld with."""
    return value if isinstance(value, str) else _short(value) + unit


def _totals(values: Sequence[float], texts: Sequence[str], p: Palette, size: int, **where) -> dict:
    """Invisible points at the end of stacked bars that carry each stack's total as a label."""
    return {
        "type": "scatter",
        "symbolSize": 0,
        "silent": True,
        "tooltip": {"show": False},
        "label": {"show": True, "color": p.text, "fontSize": size, **where},
        "data": [
            {"value": v, "label": {"formatter": _label(t)}}
            for v, t in zip(values, texts, strict=True)
        ],
    }


def empty(p: Palette, title: str, message: str, height: int) -> Option:
    """A panel that says why there is nothing to draw (no data yet, or 暂无)."""
    option = _option(p, title)
    del option["grid"]
    option["title"].append(
        {
            "text": message,
            "left": "center",
            "top": "middle",
            "textStyle": {"fontSize": p.title_size + 4, "color": p.muted, "fontWeight": "normal"},
        }
    )
    return option


def _text_width(text: str, size: int) -> int:
    """Roughly how wide `text` is drawn: a CJK character is one em, anything else about half."""
    return int(sum(size if ord(c) > 0x2E80 else size * 0.6 for c in text))


def pyramid(frame: pd.DataFrame, p: Palette, height: int = 420) -> Option:
    """Population pyramid: men to the left, women to the right, 5-year bands bottom-up. Two
    grids side by side (the men's axis runs leftwards), so both axes read as plain counts."""
    ages = list(frame["age"])
    peak = max([1, *(number(v) for v in frame["male"]), *(number(v) for v in frame["female"])])
    top, bottom = p.title_size + 24, 24
    # Every band named: the font follows the row height (CJK text boxes are ~1.45 em tall).
    row = (height - top - bottom) / max(1, len(ages))
    size = max(9, min(p.font_size - 3, int(row / 1.35)))
    # The age labels sit left of the men's half; the women's half keeps the same margin on its
    # right so both halves have one scale.
    side = max([_text_width(a, size) for a in ages] + [0]) + 12

    def half(sex: str, name: str, colour: str, index: int) -> dict:
        return {
            "type": "bar",
            "name": name,
            "xAxisIndex": index,
            "yAxisIndex": index,
            "barCategoryGap": "8%",
            "itemStyle": {"color": colour},
            "data": [
                {"value": number(v), "tooltip": _tip(f"{age} {name} {count_label(v)} 人")}
                for age, v in zip(ages, frame[sex], strict=True)
            ],
        }

    value_axis = {
        "type": "value",
        "min": 0,
        "max": round(peak * 1.08),
        "splitNumber": 3,
        "axisLabel": {"color": p.muted, "fontSize": p.font_size - 3, "showMaxLabel": False},
        "splitLine": {"lineStyle": {"color": p.grid}},
    }
    age_axis = _category_axis(ages, size, p)
    age_axis["axisLabel"]["color"] = p.muted
    return _option(
        p,
        "人口金字塔",
        grid=[
            {"left": side, "right": "50%", "top": top, "bottom": bottom},
            {"left": "50%", "right": side, "top": top, "bottom": bottom},
        ],
        legend={
            "right": 12,
            "top": 8,
            "itemWidth": 14,
            "textStyle": {"fontSize": p.font_size - 2, "color": p.muted},
        },
        xAxis=[
            # One "0" at the middle: the men's axis leaves its own out.
            {
                **value_axis,
                "gridIndex": 0,
                "inverse": True,
                "axisLabel": {**value_axis["axisLabel"], "showMinLabel": False},
            },
            {**value_axis, "gridIndex": 1},
        ],
        yAxis=[
            {**age_axis, "gridIndex": 0},
            {**age_axis, "gridIndex": 1, "axisLabel": {"show": False}},
        ],
        series=[half("male", "男", p.male, 0), half("female", "女", p.female, 1)],
    )


def hbar(
    labels: Sequence[str],
    values: Sequence[float],
    p: Palette,
    title: str,
    height: int = 300,
    colours: Sequence[str] | None = None,
    text: Sequence[str] | None = None,
    unit: str = "",
    ids: Sequence[str] | None = None,
    vline: float | None = None,
    vline_label: str = "",
    value_max: float | None = None,
) -> Option:
    """Horizontal bars, first label on top, the value written at the bar's end (a withheld
    count draws no bar, only its mark). `ids` name what a click on a bar drills down to."""
    labels = [str(label) for label in labels]
    text = list(text) if text is not None else [count_label(v, unit) for v in values]
    lengths = [number(v) for v in values]
    colours = list(colours) if colours is not None else [p.primary] * len(labels)
    size = _label_size(p, len(labels), height)
    data = [
        {
            "value": length,
            "itemStyle": {"color": colour},
            "label": {"formatter": _label(shown)},
            "tooltip": _tip(f"{label}：{shown}"),
        }
        for label, length, colour, shown in zip(labels, lengths, colours, text, strict=True)
    ]
    for item, code in zip(data, ids or [], strict=False):
        item["id"] = code
    bar = {
        "type": "bar",
        "barCategoryGap": _gap(len(labels)),
        "label": {"show": True, "position": "right", "color": p.text, "fontSize": size},
        "data": data,
    }
    titles = []
    peak = max([*lengths, 1e-9])
    if vline is not None and vline > peak * 2:
        # A threshold far beyond every bar would squash them: name it top right instead.
        titles.append(_note(f"{vline_label} →", p))
        vline = None
    if vline is not None:
        bar["markLine"] = {
            "silent": True,
            "symbol": "none",
            "lineStyle": {"type": "dashed", "color": p.bad, "width": 2},
            "label": {
                "formatter": _label(vline_label),
                "position": "start",  # above the plot: the first bar is on top
                "color": p.bad,
                "fontSize": p.font_size - 3,
            },
            "data": [{"xAxis": vline}],
        }
    top = value_max if value_max is not None else max(peak, vline or 0)
    option = _option(
        p,
        title,
        xAxis=_hidden_value_axis(top * 1.25),
        yAxis=_category_axis(labels, size, p, inverse=True),
        series=[bar],
    )
    option["title"] += titles
    if vline is not None:
        option["grid"]["top"] += p.font_size  # a row for the line's name
    if not title:
        option["grid"]["top"] = 8
    return option


def short_unit_name(name: str, wrap: bool = True) -> str:
    """How people name a unit on a chart: 湖滨街道 → 湖滨, 天仙社区第一网格 → 第一网格;
    names of five characters or more break over two lines (under a column, `wrap`)."""
    short = re.sub(r"(街道|社区)$", "", re.sub(r"^.+社区(?=第)", "", name)) or name
    if wrap and len(short) >= 5:
        middle = (len(short) + 1) // 2
        short = f"{short[:middle]}\n{short[middle:]}"
    return short


def units_comparison(frame: pd.DataFrame, p: Palette, unit_name: str, height: int = 420) -> Option:
    """实有人口 of each child unit as columns stacked 户籍 / 流动 / 境外, largest first (14
    streets read best side by side on a wide panel); a click on a column drills down (each
    column carries its unit's code as its id)."""
    data = frame.iloc[frame["residents"].map(number).argsort(kind="stable")[::-1]]
    names, codes = list(data["name"]), list(data["code"])
    series = [
        {
            "type": "bar",
            "name": name,
            "stack": "residents",
            "barCategoryGap": "25%",
            "selectedMode": "single",
            "itemStyle": {"color": _colour(p, role)},
            "data": [
                {
                    "value": number(v),
                    "id": code,
                    "tooltip": _tip(f"{unit} {name} {count_label(v)} 人"),
                }
                for unit, code, v in zip(names, codes, data[column], strict=True)
            ],
        }
        for column, name, role in zip(
            ("registered", "floating", "overseas"),
            ("户籍人口", "流动人口", "境外人员"),
            RESIDENCE_COLOURS,
            strict=True,
        )
    ]
    peak = max([1, *(number(v) for v in data["residents"])])
    # A withheld total has no column: its mark floats a little above the axis labels.
    heights = [
        [i, peak * 0.04 if isinstance(v, str) else number(v)]
        for i, v in enumerate(data["residents"])
    ]
    series.append(
        _totals(
            heights, [count_label(v) for v in data["residents"]], p, p.font_size - 3, position="top"
        )
    )
    size = p.font_size - 1
    shorts = [short_unit_name(n) for n in names]
    base = _option(
        p,
        f"各{unit_name}实有人口",
        legend={
            "right": 12,
            "top": 8,
            "itemWidth": 14,
            "data": ["户籍人口", "流动人口", "境外人员"],
            "textStyle": {"fontSize": p.font_size - 2, "color": p.muted},
        },
        xAxis=_category_axis(shorts, size, p),
        yAxis=_hidden_value_axis(peak * 1.15),
        series=series,
    )
    # Too narrow for the names side by side (a phone): each name stands upright, one
    # character a line, so every unit stays named without labels running into each other.
    widest = max([_text_width(line, size) for s in shorts for line in s.split("\n")] + [0])
    upright = ["\n".join(s.replace("\n", "")) for s in shorts]
    narrow = {"xAxis": {"data": upright}}
    return {
        "baseOption": base,
        "media": [{"query": {"maxWidth": len(names) * (widest + 2) + 30}, "option": narrow}],
    }


def donut(
    labels: Sequence[str],
    values: Sequence[float],
    p: Palette,
    title: str,
    colour_roles: dict[str, str] | None = None,
    height: int = 300,
    centre: str = "",
) -> Option:
    """Share of a whole: the legend names each slice with its share (a thin ring has no room
    for labels of its own), the centre can hold the total."""
    roles = colour_roles or {}
    labels, values = [str(label) for label in labels], [number(v) for v in values]
    total = sum(values)
    slices = [
        {
            "name": f"{label} {value / total:.0%}" if total else label,
            "value": value,
            "itemStyle": {"color": _colour(p, roles[label]) if label in roles else p.series[i % 7]},
            "tooltip": _tip(f"{label}：{value:,.0f}"),
        }
        for i, (label, value) in enumerate(zip(labels, values, strict=True))
    ]
    # The legend takes the width its names need on the right; the ring fills what is left.
    size = p.font_size - 1
    legend_width = max([_text_width(s["name"], size) for s in slices] + [0]) + 14 + 5 + 12
    box = {"left": 8, "right": legend_width + 8, "top": p.title_size + 20, "bottom": 8}
    ring = {
        "type": "pie",
        **box,
        "radius": ["55%", "90%"],
        "label": {"show": False},
        "itemStyle": {"borderColor": p.panel, "borderWidth": 2},
        "data": slices,
    }
    # The total sits in the ring's hole: the label of a blank disc in the same box.
    hole = {
        "type": "pie",
        **box,
        "radius": [0, "50%"],
        "silent": True,
        "tooltip": {"show": False},
        "itemStyle": {"color": "transparent"},
        "label": {
            "show": True,
            "position": "center",
            "formatter": _label(centre),
            "fontSize": p.title_size,
            "color": p.text,
        },
        "data": [{"value": 1, "name": "total"}],
    }
    option = _option(
        p,
        title,
        legend={
            "orient": "vertical",
            "right": 8,
            "top": "middle",
            "itemWidth": 14,
            "data": [s["name"] for s in slices],
            "textStyle": {"fontSize": size, "color": p.text},
        },
        series=[ring, hole] if centre else [ring],
    )
    del option["grid"]
    return option


def stacked_hbar(
    frame: pd.DataFrame,
    label_column: str,
    series: Sequence[tuple[str, str, str]],
    p: Palette,
    title: str,
    height: int = 300,
) -> Option:
    """Horizontal stacked bars: `series` is (column, legend name, palette role)."""
    labels = [str(label) for label in frame[label_column]]
    size = _label_size(p, len(labels), height)
    bars = [
        {
            "type": "bar",
            "name": name,
            "stack": "total",
            "barCategoryGap": _gap(len(labels)),
            "itemStyle": {"color": _colour(p, role)},
            "data": [
                {"value": number(v), "tooltip": _tip(f"{label} {name} {count_label(v)}")}
                for label, v in zip(labels, frame[column], strict=True)
            ],
        }
        for column, name, role in series
    ]
    totals = [float(t) for t in frame[[c for c, _, _ in series]].sum(axis=1)]
    points = [[t, i] for i, t in enumerate(totals)]
    bars.append(_totals(points, [_short(t) for t in totals], p, size, position="right"))
    return _option(
        p,
        title,
        legend={
            "right": 12,
            "top": 8,
            "itemWidth": 14,
            "data": [name for _, name, _ in series],
            "textStyle": {"fontSize": p.font_size - 2, "color": p.muted},
        },
        xAxis=_hidden_value_axis(max([1, *totals]) * 1.22),
        yAxis=_category_axis(labels, size, p, inverse=True),
        series=bars,
    )


def share_label(share: float | str) -> str:
    return share if isinstance(share, str) else f"{share * 100:.1f}%"


def share_colour(p: Palette, share: float | str) -> str:
    """Completeness colours: green from 95 %, amber from 80 %, red below (grey if withheld)."""
    if isinstance(share, str):
        return p.neutral
    return p.good if share >= 0.95 else p.warn if share >= 0.8 else p.bad


def page_css(p: Palette, screen: bool) -> str:
    """Styles of the dashboard page; the big screen hides the app frame and goes dark blue."""
    common = f"""
.yb-panel-title {{font-size: {p.title_size}px; font-weight: 600; color: {p.text};
    margin: 4px 0 8px 4px;}}
[data-testid="stMetric"] {{background: {p.panel};}}
"""
    if not screen:
        return f"<style>{common}</style>"
    return f"""<style>{common}
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stHeader"], [data-testid="stToolbar"],
[data-testid="stDecoration"] {{display: none !important;}}
/* Nobody at a wall uses a chart's toolbar; a white one under a stray pointer is a blot. */
[data-testid="stElementToolbar"] {{display: none !important;}}
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {{background: {p.background};}}
[data-testid="stMainBlockContainer"] {{padding: 12px 24px 8px 24px; max-width: 100%;}}
.stApp, .stApp p, .stApp label, .stApp span, [data-testid="stWidgetLabel"] p {{color: {p.text};}}
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {{color: {p.muted};}}
[data-testid="stMetric"] {{border-color: {p.grid} !important;}}
[data-testid="stMetric"] > div {{padding: 8px 18px;}}
[data-testid="stMetricLabel"] p {{font-size: 17px; color: {p.muted};}}
[data-testid="stMetricValue"] {{font-size: 38px; font-weight: 700; color: {p.text};
    line-height: 1.15;}}
[data-testid="stMetricValue"] div {{color: {p.text};}}
.yb-screen-title {{display: flex; align-items: baseline; gap: 24px; color: {p.text};
    padding-bottom: 2px;}}
.yb-screen-title span {{font-size: 34px; font-weight: 700; letter-spacing: 4px;}}
.yb-screen-title small {{font-size: 18px; color: {p.muted};}}
.st-key-dash_usage [data-testid="stMetric"] > div {{padding: 6px 10px;}}
.st-key-dash_usage [data-testid="stMetricLabel"] p {{font-size: 15px;}}
.st-key-dash_usage [data-testid="stMetricValue"] {{font-size: 30px;}}
.st-key-dash_usage [data-testid="stVerticalBlock"] {{gap: 0.45rem;}}
[data-testid="stSelectbox"] [role="group"], [data-testid="stBaseButton-secondary"] {{
    background: {p.panel} !important; border-color: {p.grid} !important;}}
[data-testid="stSelectbox"] input, [data-testid="stSelectbox"] svg,
[data-testid="stBaseButton-secondary"] p, [data-testid="stBaseButton-secondary"] span {{
    color: {p.text} !important;}}
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] {{gap: 0.6rem;}}
[data-testid="stElementContainer"]:has(> [data-testid="stMarkdown"] style) {{display: none;}}
[data-testid="stElementContainer"]:has(iframe[data-testid="stCustomComponentV1"]) {{
    position: absolute; width: 0; height: 0; overflow: hidden;}}
</style>"""


def show(
    where,
    option: Option,
    height: int,
    key: str | None = None,
    go_to: Callable[[str], None] | None = None,
) -> None:
    """Draw `option` the one way the console draws charts: SVG (text stays text: crisp on a
    wall, readable by screen readers and tests), its own colours. With `go_to`, a click on a
    mark that carries an id (a unit's code) drills down to that unit."""
    draw = {"height": height, "theme": None, "renderer": "svg", "key": key}
    if go_to is None:
        where.echarts_chart(option, **draw)
        return
    follow_click(where.echarts_chart(option, on_select="rerun", **draw), option, go_to)


def follow_click(event, option: Option, go_to: Callable[[str], None]) -> None:
    """Drill down to the unit a clicked mark carries as its id, if a mark was clicked."""
    series = option.get("baseOption", option)["series"]
    for group in event.selection.selected:
        data = series[group["series_index"]]["data"]
        for index in group["data_indices"]:
            if index < len(data) and data[index].get("id"):
                go_to(data[index]["id"])
                st.rerun()
