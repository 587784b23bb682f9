"""标签查询: pick tags (且/或/非) and field conditions; count first, then the list, chart and Excel."""

import io
from datetime import datetime

import streamlit as st

from yibiaotong import tag_query, tags
from yibiaotong.scope import AccessDenied
from yibiaotong.ui import charts
from yibiaotong.ui import tag_picker as ui
from yibiaotong.ui.markdown import literal
from yibiaotong.ui.pages import ALL_ROLES
from yibiaotong.ui.shell import page_header, require_role

scope = require_role(*ALL_ROLES)
page_header("tag_query", "按标签和字段条件圈选人口、户、房屋、商铺：先出数量，再看名单、分布和导出")

TABS = ["查询", "已保存的查询"] + (["规则标签维护"] if scope.role == "district_admin" else [])
st.session_state.setdefault("tq_tab", "查询")
# A rerun can bring the control back without a value (seen under load): never run without one.
if st.session_state.get("tq_entity") not in tag_query.ENTITY_NAMES:
    st.session_state["tq_entity"] = "resident"
query_tab, saved_tab, *admin_tab = st.tabs(TABS, key="tq_tab", on_change="rerun")


def show_summary(spec: dict) -> dict | None:
    """Count first (above the list, so a phone shows it before the long tag tree)."""
    unit = tag_query.ENTITY_UNITS[spec["entity"]]
    try:
        totals = ui.summary(scope, spec)
    except (tag_query.QueryError, AccessDenied) as exc:
        st.warning(literal(exc), icon=":material/block:")
        return None
    metrics = st.container(horizontal=True, gap="medium")  # one row on a phone too
    metrics.metric("符合条件", f"{totals['count']:,} {unit}", width="content")
    if totals["households"] is not None:
        metrics.metric("涉及家庭", f"{totals['households']:,} 户", width="content")
    if totals["subsidy"] is not None:
        metrics.metric(
            "育儿补助合计",
            f"¥{totals['subsidy']:,}",
            help="二孩 5,000 元，三孩及以上 20,000 元",
            width="content",
        )
    chosen = spec["tags"]
    if not any(chosen.values()) and not spec["conditions"]:
        st.info("尚未选择标签或条件：当前为范围内全部在册记录。")
    elif chosen["none"] and not chosen["all"] and not chosen["any"] and not spec["conditions"]:
        st.info("只设置了“非”：结果为范围内不带所选标签的全部在册记录。")
    if totals["count"] == 0:
        st.info("没有符合条件的记录。可减少“且”标签、放宽字段条件或扩大范围。")
    return totals


def show_results(spec: dict, n: int) -> None:
    entity, unit = spec["entity"], tag_query.ENTITY_UNITS[spec["entity"]]

    controls = st.columns(3)
    sorts = tag_query.SORTS[entity]
    sort = controls[0].selectbox(
        "排序", list(sorts), format_func=lambda k: sorts[k][0], key="tq_sort"
    )
    size = controls[1].selectbox("每页", (20, 50, 100), index=0, key="tq_page_size")
    pages = max(1, -(-n // size))
    if st.session_state.get("tq_page_no", 1) > pages:
        st.session_state["tq_page_no"] = 1
    page_no = controls[2].number_input(
        "页码", min_value=1, max_value=pages, step=1, key="tq_page_no"
    )
    frame = ui.page(scope, spec, size, (page_no - 1) * size, sort)
    st.dataframe(
        frame, hide_index=True, width="stretch", column_config=ui.TABLE_FORMATS, placeholder=""
    )
    masked = "" if scope.clearance else "，敏感字段已脱敏"
    if scope.role == "dept_staff":
        masked += "；部门账户只显示本部门报表用到的字段，需要更多字段请在“报表准入”提出申请"
    st.caption(f"第 {page_no} / {pages} 页，共 {n:,} {unit}{masked}")

    with st.expander("为什么带这些标签"):
        ids = frame.attrs.get("ids", [])
        first = frame.columns[0]
        pick = st.selectbox(
            "记录",
            range(len(ids)),
            format_func=lambda i: f"{frame.iloc[i][first]} · {frame.iloc[i]['所属社区'] or ''}",
            key="tq_explain",
        )
        if pick is not None and pick < len(ids):
            reasons = tags.explain(scope, entity, ids[pick])
            if reasons:
                st.dataframe(
                    ui.explain_table(reasons), hide_index=True, width="stretch", placeholder=""
                )
            else:
                st.caption("该记录没有可见的标签。")

    st.subheader("分布")
    levels = [
        lv
        for lv, length in tag_query.LEVELS.items()
        if length > len(spec["org_code"] or scope.org_code)
    ]
    if levels:
        level = st.segmented_control(
            "统计层级",
            levels,
            format_func=tag_query.LEVEL_NAMES.get,
            default=levels[0],
            key="tq_level",
        )
        counts = ui.breakdown(scope, spec, level or levels[0])
        charts.show(st, *ui.breakdown_chart(counts, unit))
    else:
        st.caption("当前范围已是网格，无下级分布。")

    st.subheader("导出与保存")
    unmasked = scope.clearance and st.checkbox(
        "导出明文（含完整身份证号、电话，导出将记入访问日志）", key="tq_unmasked"
    )
    key = (ui.spec_key(spec), bool(unmasked), sort)
    if n > 200_000:
        st.caption("结果较多，生成 Excel 可能需要一两分钟。")
    if st.button("生成 Excel", icon=":material/table_view:", key="tq_make_xlsx"):
        buffer = io.BytesIO()
        try:
            with st.spinner("正在生成 Excel…"):
                rows = tag_query.export(scope, spec, buffer, sort, unmasked=bool(unmasked))
        except (tag_query.QueryError, AccessDenied) as exc:
            st.error(literal(exc))
        else:
            st.session_state["tq_xlsx"] = (key, buffer.getvalue(), rows)
    ready = st.session_state.get("tq_xlsx")
    if ready and ready[0] == key:
        st.download_button(
            f"下载 Excel（{ready[2]:,} 行）",
            ready[1],
            file_name=f"标签查询_{datetime.now():%Y%m%d_%H%M}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            icon=":material/download:",
            type="primary",
            key="tq_download",
        )

    with st.popover("保存查询", icon=":material/bookmark_add:"):
        name = st.text_input(
            "名称", max_chars=50, key="tq_save_name", placeholder="如：闸弄口二孩多孩家庭"
        )
        shared = st.checkbox("共享给本单位", key="tq_save_shared")
        if st.button("保存", key="tq_save", type="primary"):
            try:
                tag_query.save_query(scope, name, spec, shared)
            except (tag_query.QueryError, AccessDenied) as exc:
                st.error(literal(exc))
            else:
                st.toast(f"已保存“{literal(name)}”，可在“已保存的查询”中重新运行")


if query_tab.open:
    with query_tab:
        entity = st.segmented_control(
            "查询对象",
            list(tag_query.ENTITY_NAMES),
            format_func=tag_query.ENTITY_NAMES.get,
            required=True,
            key="tq_entity",
        )
        summary_box = st.container()
        left, right = st.columns([2, 3], gap="large")
        with left:
            st.markdown("**范围**")
            org_code = ui.area_picker(scope)
            st.markdown("**标签**")
            chosen = ui.tag_picker(scope, entity, org_code)
            st.markdown("**字段条件**")
            conditions = ui.condition_builder(scope, entity)
        spec = {"entity": entity, "tags": chosen, "conditions": conditions, "org_code": org_code}
        with summary_box:
            totals = show_summary(spec)
        if totals and totals["count"]:
            with right:
                show_results(spec, totals["count"])

if saved_tab.open:
    with saved_tab:
        saved = tag_query.list_saved(scope)
        if not saved:
            st.info("还没有保存的查询。在“查询”中选好条件后，点“保存查询”。")
        for row in saved:
            with st.container(border=True):
                badges = ("　:blue-badge[已共享]" if row["shared"] else "") + (
                    "　:green-badge[报表模板]" if row["as_report"] else ""
                )
                st.markdown(f"**{literal(row['name'])}**{badges}")
                st.caption(
                    f"{literal(row['description'])} · {literal(row['owner_name'])} · "
                    f"{row['updated_at']:%Y-%m-%d %H:%M}"
                )
                buttons = st.columns(3)
                try:
                    spec = tag_query.load_saved(scope, row["id"])
                except tag_query.QueryError:
                    spec = None
                buttons[0].button(
                    "运行",
                    key=f"tq_run_{row['id']}",
                    icon=":material/play_arrow:",
                    on_click=ui.apply_spec,
                    args=(spec,),
                    disabled=spec is None,
                )
                if row["mine"]:
                    buttons[1].button(
                        "取消报表模板" if row["as_report"] else "转为报表模板",
                        key=f"tq_report_{row['id']}",
                        on_click=tag_query.set_as_report,
                        args=(scope, row["id"], not row["as_report"]),
                        help="报表中心将列出标记为报表模板的查询，一键生成本辖区报表",
                    )
                    buttons[2].button(
                        "删除",
                        key=f"tq_delete_{row['id']}",
                        icon=":material/delete:",
                        on_click=tag_query.delete_saved,
                        args=(scope, row["id"]),
                    )

if admin_tab and admin_tab[0].open:
    with admin_tab[0]:
        ui.rule_editor(scope)
