"""首页: who is logged in, their org unit, what they can do here."""

import streamlit as st

from yibiaotong import catalog, ledger
from yibiaotong.ui import admission_view
from yibiaotong.ui.markdown import literal
from yibiaotong.ui.pages import ALL_ROLES, pages_for
from yibiaotong.ui.shell import page_header, require_role

scope = require_role(*ALL_ROLES)
page_header("home", f"您好，{literal(scope.name)}。欢迎使用一表通。")

with st.container(border=True):
    left, right = st.columns(2)
    left.markdown(f"**账号**：{literal(scope.username)}　**角色**：{scope.role_name}")
    left.markdown(f"**辖区**：{literal(catalog.org_label(scope.org_code))}")
    if scope.department:
        left.markdown(f"**所属部门**：{literal(catalog.department_name(scope.department))}")
    right.markdown(
        "**敏感信息**："
        + ("可查看完整身份证号、电话（查看留痕）" if scope.clearance else "脱敏显示")
    )
    right.markdown("**数据范围**：仅限本辖区，系统在数据层强制隔离")

counts = ledger.summary(scope)
cols = st.columns(5)
for col, (label, key) in zip(
    cols,
    [
        ("人口", "residents"),
        ("户", "households"),
        ("房屋", "houses"),
        ("商铺", "shops"),
        ("网格", "grids"),
    ],
    strict=True,
):
    col.metric(f"辖区{label}", f"{counts[key]:,}", border=True)

admission_view.home_panel(scope)

st.subheader("您可以")
for spec in pages_for(scope.role):
    if spec.stem == "home":
        continue
    st.page_link(f"app_pages/{spec.stem}.py", label=f"{spec.title}：{spec.summary}", icon=spec.icon)
