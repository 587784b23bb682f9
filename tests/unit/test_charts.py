"""ECharts builders: each option carries exactly the figures it is given, Streamlit accepts it as
sent, and no user text can become markup in a tooltip (the one place ECharts reads HTML)."""

from __future__ import annotations

import html
import random

import pandas as pd
import pytest
import streamlit as st

from yibiaotong.ui import charts

PLANTED = '<img src=x onerror="alert(1)">{b}'


def strings(value, key=""):
    """Every (key, string) pair anywhere in an option."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v, key)
    elif isinstance(value, str):
        yield key, value


def tooltips(series: dict) -> list[str]:
    """What each mark's tooltip shows, as a browser would read the escaped HTML."""
    return [html.unescape(item["tooltip"]["formatter"]) for item in series["data"]]


def units_frame(seed: int, names: list[str] | None = None) -> pd.DataFrame:
    rnd = random.Random(seed)
    names = names or [f"{n}街道" for n in "湖滨清波小营望江紫阳南星"]
    rows = []
    for i, name in enumerate(names):
        kinds = [rnd.randint(0, 40_000), rnd.randint(0, 9_000), rnd.randint(0, 300)]
        rows.append(
            {"code": f"3301020{i:02d}", "name": name, "registered": kinds[0], "floating": kinds[1]}
            | {"overseas": kinds[2], "residents": sum(kinds)}
        )
    rows[-1]["overseas"] = "<5"  # a withheld count draws no bar, only its mark
    return pd.DataFrame(rows)


@pytest.mark.parametrize("dark", [False, True])
def test_units_comparison_carries_every_unit_largest_first(dark):
    frame = units_frame(7)
    option = charts.units_comparison(frame, charts.palette(dark), "街道")["baseOption"]
    expected = frame.sort_values("residents", ascending=False, kind="stable")
    assert option["xAxis"]["data"] == [charts.short_unit_name(n) for n in expected["name"]]
    assert option["xAxis"]["axisLabel"]["interval"] == 0  # every unit named
    bars = option["series"][:3]
    for series, column in zip(bars, ("registered", "floating", "overseas"), strict=True):
        shown = [0 if isinstance(v, str) else v for v in expected[column]]
        assert [item["value"] for item in series["data"]] == shown
        assert [item["id"] for item in series["data"]] == list(expected["code"])
        assert series["stack"] == "residents" and series["selectedMode"]
    totals = option["series"][3]["data"]
    assert [t["label"]["formatter"] for t in totals] == [
        charts.count_label(v) for v in expected["residents"]
    ]
    assert [t["value"][1] for t in totals] == list(expected["residents"])
    hidden = list(expected["code"]).index(frame["code"].iloc[-1])
    assert tooltips(bars[2])[hidden] == f"{frame['name'].iloc[-1]} 境外人员 <5 人"
    assert option["animation"] is False


@pytest.mark.parametrize("dark", [False, True])
def test_pyramid_puts_men_left_and_women_right(dark):
    rnd = random.Random(3)
    frame = pd.DataFrame(
        {
            "age": [f"{b * 5}–{b * 5 + 4}岁" for b in range(18)] + ["90岁及以上"],
            "male": [rnd.randint(0, 5000) for _ in range(19)],
            "female": [rnd.randint(0, 5000) for _ in range(19)],
        }
    )
    option = charts.pyramid(frame, charts.palette(dark))
    men, women = option["series"]
    assert (men["name"], women["name"]) == ("男", "女")
    assert [i["value"] for i in men["data"]] == list(frame["male"])
    assert [i["value"] for i in women["data"]] == list(frame["female"])
    # The men's axis runs leftwards in the left grid; both share one scale.
    left, right = option["xAxis"]
    assert left["inverse"] and not right.get("inverse") and left["max"] == right["max"]
    assert left["max"] >= max(max(frame["male"]), max(frame["female"]))
    assert option["yAxis"][0]["data"] == list(frame["age"])
    assert tooltips(men)[4] == f"{frame['age'][4]} 男 {charts.count_label(frame['male'][4])} 人"


@pytest.mark.parametrize("dark", [False, True])
def test_hbar_writes_each_value_and_the_load_line(dark):
    p = charts.palette(dark)
    labels = ["第一网格", "第二网格", "第三网格"]
    households = [412, 388, 120]
    option = charts.hbar(labels, households, p, "户数", unit="户", vline=400, vline_label="负荷线")
    (bar,) = option["series"]
    assert option["yAxis"]["data"] == labels and option["yAxis"]["inverse"]
    assert [i["value"] for i in bar["data"]] == households
    assert [i["label"]["formatter"] for i in bar["data"]] == [f"{n:,}户" for n in households]
    assert bar["markLine"]["data"] == [{"xAxis": 400}]
    assert bar["markLine"]["label"]["formatter"] == "负荷线"
    # A threshold far beyond every bar is named top right instead of squashing the bars.
    far = charts.hbar(labels, [3, 2, 1], p, "户数", vline=400, vline_label="负荷线")
    assert "markLine" not in far["series"][0]
    assert any(t["text"] == "负荷线 →" for t in far["title"])


def test_shares_are_written_as_percentages():
    shares = [0.987, 0.9, 0.5]
    option = charts.hbar(
        ["电话", "学历", "民族"],
        shares,
        charts.LIGHT,
        "完整率",
        colours=[charts.share_colour(charts.LIGHT, s) for s in shares],
        text=[charts.share_label(s) for s in shares],
        value_max=1.0,
    )
    data = option["series"][0]["data"]
    assert [i["label"]["formatter"] for i in data] == ["98.7%", "90.0%", "50.0%"]
    assert [i["itemStyle"]["color"] for i in data] == [
        charts.LIGHT.good,
        charts.LIGHT.warn,
        charts.LIGHT.bad,
    ]


@pytest.mark.parametrize("dark", [False, True])
def test_donut_names_each_share_and_holds_the_total(dark):
    p = charts.palette(dark)
    frame = pd.DataFrame(
        {"occupancy": ["自住", "出租", "空置", "群租"], "houses": [620, 250, 120, 10]}
    )
    option = charts.donut(
        frame["occupancy"], frame["houses"], p, "房屋", charts.OCCUPANCY_COLOURS, centre="1,000"
    )
    slices = option["series"][0]["data"]
    total = frame["houses"].sum()
    assert [s["name"] for s in slices] == [
        f"{o} {round(100 * h / total)}%" for o, h in frame.itertuples(index=False)
    ]
    assert [s["value"] for s in slices] == list(frame["houses"])
    assert slices[3]["itemStyle"]["color"] == p.bad  # 群租 is red in both themes
    assert option["series"][1]["label"]["formatter"] == "1,000"  # the total in the hole


@pytest.mark.parametrize("dark", [False, True])
def test_stacked_bars_carry_each_part_and_the_total(dark):
    frame = pd.DataFrame(
        {"category": ["餐饮", "零售", "美容"], "open": [120, 80, 9], "closed": [30, 0, 2]}
    )
    option = charts.stacked_hbar(
        frame,
        "category",
        [("open", "在营", "primary"), ("closed", "歇业", "neutral")],
        charts.palette(dark),
        "商铺类别",
    )
    opened, closed, totals = option["series"]
    assert [i["value"] for i in opened["data"]] == list(frame["open"])
    assert [i["value"] for i in closed["data"]] == list(frame["closed"])
    assert [t["label"]["formatter"] for t in totals["data"]] == [
        str(o + c) for o, c in zip(frame["open"], frame["closed"], strict=True)
    ]
    assert option["yAxis"]["data"] == list(frame["category"])


def test_streamlit_accepts_every_option():
    """Each option goes through st.echarts_chart's own checks (JSON only, no callbacks)."""
    p = charts.DARK
    frame = units_frame(1)
    options = [
        charts.units_comparison(frame, p, "街道"),
        charts.hbar(["a", "b"], [1, "<5"], p, "t", vline=1, vline_label="线"),
        charts.donut(["自住"], [3], p, "房屋", centre="3"),
        charts.empty(p, "商铺类别", "暂无商铺", 300),
    ]
    for option in options:
        st.echarts_chart(option, theme=None, renderer="svg", height=300)


def test_user_text_is_never_markup():
    """Unit, department and category names appear as text: verbatim where ECharts draws plain
    text, escaped in every tooltip (HTML), never inside a template (braces)."""
    p = charts.LIGHT
    frame = units_frame(5, names=[PLANTED, "湖滨街道", "清波街道"])
    shops = pd.DataFrame({"category": [PLANTED], "open": [3], "closed": [1]})
    options = [
        charts.units_comparison(frame, p, "街道")["baseOption"],
        charts.hbar([PLANTED, "民政局"], [4, 2], p, "各部门在用报表模板", unit="个"),
        charts.donut([PLANTED, "出租"], [1, 2], p, "房屋"),
        charts.stacked_hbar(shops, "category", [("open", "在营", "primary")], p, "商铺"),
    ]
    for option in options:
        for key, text in strings(option):
            if key == "formatter":
                assert "<" not in text and "{" not in text and "}" not in text, text
        shown = html.unescape(" ".join(t for k, t in strings(option) if k == "formatter"))
        assert "<img src=x" in shown  # the tooltip still names the unit, as text
    assert PLANTED in options[1]["yAxis"]["data"]  # an axis label is plain text
    assert charts.short_unit_name(PLANTED) in options[0]["xAxis"]["data"]


def test_a_click_drills_to_the_unit_of_the_clicked_column(monkeypatch):
    frame = units_frame(9)
    option = charts.units_comparison(frame, charts.LIGHT, "街道")
    expected = list(frame.sort_values("residents", ascending=False, kind="stable")["code"])
    reruns = []
    monkeypatch.setattr(st, "rerun", lambda: reruns.append(True))
    went = []

    class Event:
        selection = st.elements.echarts_chart.EChartsSelectionState(
            selected=[{"series_index": 1, "data_indices": [2]}], areas=[]
        )

    charts.follow_click(Event(), option, went.append)
    assert went == [expected[2]] and reruns
    went.clear()
    Event.selection = st.elements.echarts_chart.EChartsSelectionState(selected=[], areas=[])
    charts.follow_click(Event(), option, went.append)
    assert went == []


def test_a_narrow_chart_still_names_every_unit_upright():
    names = ["湖滨街道", "闸弄口新村社区", "天仙社区第一网格"]
    frame = units_frame(2, names)
    option = charts.units_comparison(frame, charts.LIGHT, "社区")
    (media,) = option["media"]
    upright = media["option"]["xAxis"]["data"]
    order = frame.sort_values("residents", ascending=False, kind="stable")["name"]
    # One character a line, each unit's short name whole.
    assert ["".join(u.split("\n")) for u in upright] == [
        charts.short_unit_name(n).replace("\n", "") for n in order
    ]
    assert all(len(line) == 1 for u in upright for line in u.split("\n"))
    # Only below the width the names need side by side.
    assert 0 < media["query"]["maxWidth"] < 1000
