"""字段与标签标准 in AppTest: what the page shows is the committed catalogue, read independently."""

from __future__ import annotations

import yaml
from test_pages import logged_in_app

from yibiaotong.config import ROOT

CATALOG = ROOT / "data" / "catalog"


def catalogue(name: str):
    return yaml.safe_load((CATALOG / name).read_text(encoding="utf-8"))


def open_standards():
    at = logged_in_app("sw_tianxian")
    at.switch_page("app_pages/standards.py").run()
    assert not at.exception
    return at


def test_field_table_is_the_committed_field_standard(use_fixture_db):
    at = open_standards()
    expected = catalogue("fields.yaml")["resident"]
    assert f"人口共 {len(expected)} 个字段" in [c.value for c in at.caption]
    table = at.dataframe[0].value
    assert list(table["字段名称"]) == [f["name"] for f in expected]
    assert list(table["代码"]) == [f["code"] for f in expected]
    sensitive = {f["name"] for f in expected if f.get("sensitivity") == "sensitive"}
    assert set(table.loc[table["敏感级别"] == "敏感", "字段名称"]) == sensitive
    assert "身份证号" in sensitive


def test_tag_tree_lists_every_committed_tag(use_fixture_db):
    at = open_standards()
    shown = "\n".join(m.value for m in at.markdown)
    tags = catalogue("tags.yaml")["tags"]
    assert tags
    for tag in tags:
        assert f"**{tag['name']}**" in shown, tag["code"]
