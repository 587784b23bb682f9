"""字段与标签标准: the field standard, code lists and tag taxonomy everyone fills against."""

import streamlit as st

from yibiaotong import catalog
from yibiaotong.ui import import_view as import_sources
from yibiaotong.ui.markdown import literal
from yibiaotong.ui.pages import ALL_ROLES
from yibiaotong.ui.shell import page_header, require_role

scope = require_role(*ALL_ROLES)
page_header("standards")

ENTITIES = {"resident": "人口", "household": "户", "house": "房屋", "shop": "商铺"}
SENSITIVITY = {"public": "公开", "internal": "内部", "sensitive": "敏感"}
KINDS = {"manual": "手工", "rule": "规则", "import": "回流导入"}

TABS = ["字段标准", "代码表", "标签体系"] + (["回流来源"] if scope.role == "district_admin" else [])
fields_tab, codes_tab, tags_tab, *sources_tab = st.tabs(TABS)

with fields_tab:
    entity = st.segmented_control(
        "对象", list(ENTITIES), format_func=ENTITIES.get, default="resident", key="standards_entity"
    )
    rows = catalog.field_defs(entity or "resident")
    st.caption(f"{ENTITIES[entity or 'resident']}共 {len(rows)} 个字段")
    st.dataframe(
        [
            {
                "字段名称": f["name"],
                "代码": f["code"],
                "类型": f["data_type"],
                "代码表": f["code_list"] or "",
                "必填": "是" if f["required"] else "",
                "敏感级别": SENSITIVITY[f["sensitivity"]],
                "表单上的同义写法": "、".join(f["synonyms"] or []),
            }
            for f in rows
        ],
        hide_index=True,
        placeholder="",
    )

with codes_tab:
    lists = catalog.code_lists()
    chosen = st.selectbox(
        "代码表", list(lists), format_func=lambda c: lists[c], key="standards_code_list"
    )
    items = catalog.code_items(chosen)
    st.dataframe(
        [{"代码": k, "名称": v} for k, v in items.items()], hide_index=True, placeholder=""
    )

with tags_tab:
    tags = catalog.tag_tree()
    for category in dict.fromkeys(t["category_name"] for t in tags):
        with st.expander(category):
            for t in (t for t in tags if t["category_name"] == category):
                note = KINDS[t["kind"]] + ("，敏感" if t["sensitivity"] == "sensitive" else "")
                indent = "　" * 2 * t["depth"]
                st.markdown(
                    f"{indent}• **{literal(t['name'])}**（{note}）{literal(t['description'])}"
                )

if sources_tab:
    with sources_tab[0]:
        import_sources.sources_table()
