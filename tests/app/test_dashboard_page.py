"""数据大屏 page: figures of the caller's unit, drill-down, scope of a crafted link, 大屏模式, export."""

from __future__ import annotations

from datetime import date

import pytest
from test_pages import logged_in_app, texts

from yibiaotong import auth, dashboard

STREET = "330102009"


@pytest.fixture(autouse=True)
def fresh_cache():
    dashboard.clear_cache()
    yield
    dashboard.clear_cache()


def open_dashboard(username: str, **query):
    at = logged_in_app(username)
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page("app_pages/dashboard.py").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_district_admin_sees_the_district_and_drills_to_a_street(use_fixture_db):
    at = open_dashboard("admin")
    figs = dashboard.figures(auth.scope_for("admin"), as_of=date.today())
    shown = metrics(at)
    assert shown["实有人口"] == f"{figs.kpi['residents']:,}"
    assert shown["流动人口"] == f"{figs.kpi['floating']:,}"
    assert shown["网格"] == f"{figs.kpi['grids']:,}"
    assert shown["本月报表"] == "0"
    assert [t.value for t in at.title] == ["数据大屏"]
    assert [s.label for s in at.selectbox] == ["选择街道"]
    assert at.selectbox[0].options[0] == "上城区（全部）"
    assert len(at.selectbox[0].options) == 15

    at.selectbox[0].select(STREET).run()
    assert at.query_params["org"] == STREET
    street = dashboard.figures(auth.scope_for("leader_zlk"), as_of=date.today())
    assert metrics(at)["实有人口"] == f"{street.kpi['residents']:,}"
    assert [s.label for s in at.selectbox] == ["选择街道", "选择社区"]
    assert "上城区 › 闸弄口街道" in texts(at)

    at.selectbox[1].select(STREET + "001").run()
    assert at.query_params["org"] == STREET + "001"
    community = dashboard.figures(auth.scope_for("admin"), STREET + "001", as_of=date.today())
    assert metrics(at)["实有人口"] == f"{community.kpi['residents']:,}"

    at.selectbox[0].select("330102").run()  # back to the whole district
    assert metrics(at)["实有人口"] == f"{figs.kpi['residents']:,}"


def test_street_leader_sees_only_their_street(use_fixture_db):
    at = open_dashboard("leader_zlk")
    figs = dashboard.figures(auth.scope_for("leader_zlk"), as_of=date.today())
    assert metrics(at)["实有人口"] == f"{figs.kpi['residents']:,}"
    assert [s.label for s in at.selectbox] == ["选择社区"]
    communities = dashboard.drill_options(auth.scope_for("leader_zlk"), STREET)
    assert at.selectbox[0].options == ["闸弄口街道（全部）", *(c["name"] for c in communities)]


@pytest.mark.parametrize("org", ["330102", "330102001", "330102001001", "x' or 1=1 --"])
def test_a_crafted_link_outside_the_street_shows_the_own_street(use_fixture_db, org):
    at = open_dashboard("leader_zlk", org=org)
    assert any("不在您的权限范围内" in w.value for w in at.warning)
    figs = dashboard.figures(auth.scope_for("leader_zlk"), as_of=date.today())
    assert metrics(at)["实有人口"] == f"{figs.kpi['residents']:,}"
    assert "org" not in at.query_params


def test_screen_mode_hides_the_frame_and_goes_dark(use_fixture_db):
    at = open_dashboard("leader_zlk", mode="screen")
    css = "\n".join(m.value for m in at.markdown)
    assert 'data-testid="stSidebar"' in css and "display: none" in css
    assert "#071633" in css  # the dark-blue background
    assert "闸弄口街道 · 数据大屏" in css
    assert not at.title  # the wall shows its own title bar
    assert at.toggle[0].value is True
    at.toggle[0].set_value(False).run()
    assert "mode" not in at.query_params
    assert [t.value for t in at.title] == ["数据大屏"]
    at.toggle[0].set_value(True).run()
    assert at.query_params["mode"] == "screen"


def test_usage_panel_and_export_button(use_fixture_db):
    at = open_dashboard("leader_zlk")
    figs = dashboard.figures(auth.scope_for("leader_zlk"), as_of=date.today())
    shown = metrics(at)
    assert shown["本月报表"] == "0" and shown["节省工时"] == "0"
    assert shown["在用模板"] == str(figs.kpi["templates"])
    assert shown["社工更新"] == "0"
    assert "近30天活跃社工 0 人" in texts(at)
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == ["导出汇总 Excel"]
