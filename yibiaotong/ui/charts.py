"""Plotly figure builders with one palette (light console, dark-blue big screen) and Chinese labels."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
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


_figures: dict[tuple, go.Figure] = {}
_figures_lock = threading.Lock()
FIGURE_CACHE_ENTRIES = 256


def cached(key: tuple, build: Callable[[], go.Figure]) -> go.Figure:
    """The figure built for `key`, which must name everything the figure shows (the data's
    version, palette, size). Plotly spends far longer building a figure than Streamlit spends
    sending one, and Streamlit only reads the figures it is given."""
    with _figures_lock:
        fig = _figures.get(key)
    if fig is None:
        fig = build()
        with _figures_lock:
            while len(_figures) >= FIGURE_CACHE_ENTRIES:
                _figures.pop(next(iter(_figures)))
            _figures[key] = fig
    return fig


def _colour(p: Palette, role: str) -> str:
    return getattr(p, role, p.neutral)


def _merge(base: dict, extra: dict) -> dict:
    """`base` updated by `extra`, nested dicts merged key by key."""
    out = dict(base)
    for key, value in extra.items():
        out[key] = (
            _merge(out[key], value)
            if isinstance(value, dict) and isinstance(out.get(key), dict)
            else value
        )
    return out


def _figure(
    traces: list,
    p: Palette,
    title: str,
    height: int,
    xaxis: dict | None = None,
    yaxis: dict | None = None,
    **extra,
) -> go.Figure:
    """One figure from traces and a single layout dict: plotly validates a layout given whole
    about ten times faster than the same settings applied by update_* calls."""
    # Fixed axes: a tap on a wall screen or a phone must not zoom a chart by accident.
    axis = {
        "gridcolor": p.grid,
        "zerolinecolor": p.grid,
        "automargin": True,
        "fixedrange": True,
    }
    layout = {
        "title": {
            "text": title,
            "x": 0.01,
            "xanchor": "left",
            "y": 0.98,
            "yanchor": "top",
            "font": {"size": p.title_size, "color": p.text},
        },
        "height": height,
        "margin": {"l": 8, "r": 16, "t": p.title_size + 30, "b": 8},
        "paper_bgcolor": p.panel,
        "plot_bgcolor": p.panel,
        "font": {"family": FONT_FAMILY, "size": p.font_size, "color": p.text},
        "hoverlabel": {"font": {"family": FONT_FAMILY, "size": p.font_size}},
        "legend": {
            "orientation": "h",
            "x": 1,
            "xanchor": "right",
            "y": 1,
            "yanchor": "bottom",
            "traceorder": "normal",
            "font": {"size": p.font_size - 2, "color": p.muted},
            "bgcolor": "rgba(0,0,0,0)",
        },
        "separators": ".,",
        "xaxis": _merge(
            {**axis, "tickfont": {"color": p.muted}, "separatethousands": True}, xaxis or {}
        ),
        "yaxis": _merge(
            {**axis, "tickfont": {"color": p.text, "size": p.font_size - 1}}, yaxis or {}
        ),
    }
    return go.Figure(data=traces, layout=_merge(layout, extra))


def _label_size(p: Palette, rows: int, height: int) -> int:
    """A font for one label per bar that fits its row: plotly drops labels it finds crowded."""
    plot_height = height - (p.title_size + 30) - 8
    return max(11, min(p.font_size - 1, int(plot_height / max(1, rows) * 0.6)))


def _every_label(labels: Sequence[str], size: int, p: Palette) -> dict:
    """Axis settings that name every category, even where plotly would skip some."""
    labels = list(labels)
    return {
        "tickmode": "array",
        "tickvals": labels,
        "ticktext": labels,
        "tickfont": {"size": size, "color": p.text},
    }


def _gap(bars: int) -> float:
    """Gap between bars: a handful of bars stay slim instead of filling the panel."""
    return 0.25 if bars > 6 else 0.45 if bars > 3 else 0.6


def _nice(peak: float) -> float:
    """A round axis step near half of `peak` (1, 2, 2.5 or 5 times a power of ten)."""
    raw = max(peak / 2, 1)
    power = 10 ** (len(str(int(raw))) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= raw:
            return factor * power
    return 10 * power


def _short(value: float) -> str:
    """Axis and label numbers: 12,345 or 1.2万 (read from across the room)."""
    if abs(value) >= 100_000:
        return f"{value / 10_000:.0f}万"
    if abs(value) >= 10_000:
        return f"{value / 10_000:.1f}万"
    return f"{value:,.0f}"


def number(value: float | str) -> float:
    """A count as a bar length: a withheld count ("<5", "—") draws nothing."""
    return 0 if isinstance(value, str) else value


def count_label(value: float | str, unit: str = "") -> str:
    """A count as written on a chart: its number, or the mark it is withheld with."""
    return value if isinstance(value, str) else _short(value) + unit


def _note(text: str, p: Palette) -> dict:
    """A small red note at the top right of the plot, where a legend would go."""
    return {
        "x": 1,
        "y": 1,
        "xref": "paper",
        "yref": "paper",
        "xanchor": "right",
        "yanchor": "bottom",
        "text": text,
        "showarrow": False,
        "font": {"color": p.bad, "size": p.font_size - 3},
    }


def empty(p: Palette, title: str, message: str, height: int) -> go.Figure:
    """A panel that says why there is nothing to draw (no data yet, or 暂无)."""
    note = {
        "text": message,
        "x": 0.5,
        "y": 0.5,
        "xref": "paper",
        "yref": "paper",
        "showarrow": False,
        "font": {"size": p.title_size + 4, "color": p.muted},
    }
    hidden = {"visible": False}
    return _figure([], p, title, height, hidden, hidden, annotations=[note])


def pyramid(frame: pd.DataFrame, p: Palette, height: int = 420) -> go.Figure:
    """Population pyramid: men to the left, women to the right, 5-year bands bottom-up."""
    male = [number(v) for v in frame["male"]]
    female = [number(v) for v in frame["female"]]
    peak = max(1, *male, *female)
    traces = [
        go.Bar(
            y=list(frame["age"]),
            x=[-v for v in male],
            orientation="h",
            name="男",
            marker={"color": p.male},
            customdata=[count_label(v) for v in frame["male"]],
            hovertemplate="%{y} 男 %{customdata} 人<extra></extra>",
        ),
        go.Bar(
            y=list(frame["age"]),
            x=female,
            orientation="h",
            name="女",
            marker={"color": p.female},
            customdata=[count_label(v) for v in frame["female"]],
            hovertemplate="%{y} 女 %{customdata} 人<extra></extra>",
        ),
    ]
    step = _nice(peak)
    ticks = [i * step for i in range(-int(peak // step), int(peak // step) + 1)]
    xaxis = {
        "tickvals": ticks,
        "ticktext": [_short(abs(t)) for t in ticks],
        "range": [-peak * 1.08, peak * 1.08],
    }
    yaxis = {"tickfont": {"size": p.font_size - 3, "color": p.muted}}
    return _figure(traces, p, "人口金字塔", height, xaxis, yaxis, barmode="relative", bargap=0.08)


def hbar(
    labels: Sequence[str],
    values: Sequence[float],
    p: Palette,
    title: str,
    height: int = 300,
    colours: Sequence[str] | None = None,
    text: Sequence[str] | None = None,
    unit: str = "",
    customdata: Sequence[str] | None = None,
    vline: float | None = None,
    vline_label: str = "",
    value_max: float | None = None,
) -> go.Figure:
    """Horizontal bars, first label on top, the value written at the bar's end (a withheld
    count draws no bar, only its mark)."""
    labels = list(labels)
    text = list(text) if text is not None else [count_label(v, unit) for v in values]
    values = [number(v) for v in values]
    size = _label_size(p, len(labels), height)
    bar = go.Bar(
        y=labels,
        x=values,
        orientation="h",
        marker={"color": list(colours) if colours is not None else p.primary},
        text=text,
        textposition="outside",
        cliponaxis=False,
        textfont={"color": p.text, "size": size},
        customdata=list(customdata) if customdata is not None else None,
        hovertemplate="%{y}：%{text}<extra></extra>",
    )
    peak = max([*values, 1e-9])
    annotations, shapes = [], []
    if vline is not None and vline > peak * 2:
        # A threshold far beyond every bar would squash them: name it top right instead.
        annotations.append(_note(f"{vline_label} →", p))
        vline = None
    top = value_max if value_max is not None else max([peak, vline or 0])
    if vline is not None:
        shapes.append(
            {
                "type": "line",
                "x0": vline,
                "x1": vline,
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "line": {"dash": "dash", "color": p.bad, "width": 2},
            }
        )
        annotations.append({**_note(vline_label, p), "x": vline, "xref": "x", "xanchor": "center"})
    xaxis = {"range": [0, top * 1.25], "showticklabels": False, "showgrid": False}
    yaxis = {"autorange": "reversed", "showgrid": False, **_every_label(labels, size, p)}
    return _figure(
        [bar],
        p,
        title,
        height,
        xaxis,
        yaxis,
        showlegend=False,
        bargap=_gap(len(labels)),
        annotations=annotations,
        shapes=shapes,
    )


def short_unit_name(name: str) -> str:
    """How people name a unit on a chart: 湖滨街道 → 湖滨, 天仙社区第一网格 → 第一网格;
    names of five characters or more break over two lines."""
    short = re.sub(r"(街道|社区)$", "", re.sub(r"^.+社区(?=第)", "", name)) or name
    if len(short) >= 5:
        middle = (len(short) + 1) // 2
        short = f"{short[:middle]}<br>{short[middle:]}"
    return short


def units_comparison(
    frame: pd.DataFrame, p: Palette, unit_name: str, height: int = 420
) -> go.Figure:
    """实有人口 of each child unit as columns stacked 户籍 / 流动 / 境外, largest first (14
    streets read best side by side on a wide panel); a click on a column drills down."""
    data = frame.iloc[frame["residents"].map(number).argsort(kind="stable")[::-1]]
    names = list(data["name"])
    traces = [
        go.Bar(
            x=names,
            y=[number(v) for v in data[column]],
            name=name,
            marker={"color": _colour(p, role)},
            customdata=list(data["code"]),
            hovertext=[count_label(v) for v in data[column]],
            hovertemplate="%{x} " + name + " %{hovertext} 人<extra></extra>",
        )
        for column, name, role in zip(
            ("registered", "floating", "overseas"),
            ("户籍人口", "流动人口", "境外人员"),
            RESIDENCE_COLOURS,
            strict=True,
        )
    ]
    peak = max(1, *(number(v) for v in data["residents"])) if len(data) else 1
    traces.append(
        go.Scatter(
            x=names,
            # A withheld total has no bar: its mark floats a little above the axis labels.
            y=[peak * 0.04 if isinstance(v, str) else number(v) for v in data["residents"]],
            mode="text",
            text=[count_label(v) for v in data["residents"]],
            textposition="top center",
            textfont={"color": p.text, "size": p.font_size - 3},
            showlegend=False,
            hoverinfo="skip",
            cliponaxis=False,
        )
    )
    xaxis = {
        "tickmode": "array",
        "tickvals": names,
        "ticktext": [short_unit_name(n) for n in names],
        "tickfont": {"size": p.font_size - 1, "color": p.text},
        "showgrid": False,
    }
    yaxis = {"range": [0, peak * 1.15], "showticklabels": False, "showgrid": False}
    return _figure(
        traces,
        p,
        f"各{unit_name}实有人口",
        height,
        xaxis,
        yaxis,
        barmode="stack",
        bargap=0.25,
    )


def donut(
    labels: Sequence[str],
    values: Sequence[float],
    p: Palette,
    title: str,
    colour_roles: dict[str, str] | None = None,
    height: int = 300,
    centre: str = "",
) -> go.Figure:
    """Share of a whole: the legend names each slice with its share (a thin ring has no room
    for labels of its own), the centre can hold the total."""
    roles = colour_roles or {}
    labels, values = list(labels), list(values)
    colours = [
        _colour(p, roles[label]) if label in roles else p.series[i % len(p.series)]
        for i, label in enumerate(labels)
    ]
    total = sum(values)
    named = [
        f"{label} {value / total:.0%}" if total else label
        for label, value in zip(labels, values, strict=True)
    ]
    pie = go.Pie(
        labels=named,
        values=values,
        hole=0.6,
        sort=False,
        direction="clockwise",
        marker={"colors": colours, "line": {"color": p.panel, "width": 2}},
        textinfo="none",
        hovertemplate="%{label}：%{value:,}<extra></extra>",
    )
    annotations = []
    if centre:
        annotations.append(
            {
                "text": centre,
                "x": 0.5,
                "y": 0.5,
                "xref": "paper",
                "yref": "paper",
                "showarrow": False,
                "font": {"size": p.title_size, "color": p.text},
            }
        )
    return _figure(
        [pie],
        p,
        title,
        height,
        annotations=annotations,
        margin={"l": 8, "r": 8},
        legend={
            "orientation": "v",
            "x": 1.0,
            "xanchor": "left",
            "y": 0.5,
            "yanchor": "middle",
            "font": {"size": p.font_size - 1, "color": p.text},
        },
    )


def stacked_hbar(
    frame: pd.DataFrame,
    label_column: str,
    series: Sequence[tuple[str, str, str]],
    p: Palette,
    title: str,
    height: int = 300,
) -> go.Figure:
    """Horizontal stacked bars: `series` is (column, legend name, palette role)."""
    labels = list(frame[label_column])
    size = _label_size(p, len(labels), height)
    traces = [
        go.Bar(
            y=labels,
            x=list(frame[column]),
            orientation="h",
            name=name,
            marker={"color": _colour(p, role)},
            hovertemplate="%{y} " + name + " %{x:,}<extra></extra>",
        )
        for column, name, role in series
    ]
    totals = list(frame[[c for c, _, _ in series]].sum(axis=1))
    traces.append(
        go.Scatter(
            y=labels,
            x=totals,
            mode="text",
            text=[_short(v) for v in totals],
            textposition="middle right",
            textfont={"color": p.text, "size": size},
            showlegend=False,
            hoverinfo="skip",
            cliponaxis=False,
        )
    )
    peak = max([1, *totals])
    xaxis = {"range": [0, peak * 1.22], "showticklabels": False, "showgrid": False}
    yaxis = {"autorange": "reversed", "showgrid": False, **_every_label(labels, size, p)}
    return _figure(
        traces, p, title, height, xaxis, yaxis, barmode="stack", bargap=_gap(len(labels))
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


# Chart arguments that make a click on a mark select it and rerun the page.
CLICK_TO_DRILL = {"on_select": "rerun", "selection_mode": "points"}


def follow_click(event, go_to: Callable[[str], None]) -> None:
    """Drill down to the unit a clicked mark carries in its customdata, if a mark was clicked."""
    points = event.selection.points
    if points and points[0].get("customdata"):
        go_to(points[0]["customdata"])
        st.rerun()
