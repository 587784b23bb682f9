"""报表模板管理 widgets: pick a template, edit it, preview it, save it as a new version."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from yibiaotong import catalog, conditions, reports, tags
from yibiaotong.reports import editing
from yibiaotong.scope import AccessDenied, Scope
from yibiaotong.ui.markdown import literal
from yibiaotong.ui.report_view import org_picker

_NEW = "__new__"
_TAG_MODES = (("all", "且：必须带有"), ("any", "或：至少带有其一"), ("none", "非：不带有"))


def _day(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


def _pick(scope: Scope) -> tuple[str, dict]:
    everything = reports.templates(scope, include_inactive=True)
    by_code = {t["code"]: t for t in everything}
    code = st.selectbox(
        "模板",
        [_NEW, *by_code],
        format_func=lambda c: (
            "＋ 新建模板"
            if c == _NEW
            else f"{by_code[c]['name']}（{c}，第 {by_code[c]['version']} 版，{by_code[c]['department_name']}）"
        ),
        key="re_code",
    )
    if code == _NEW:
        return code, editing.new_definition()
    return code, dict(by_code[code]["definition"])


def _head(code: str, defn: dict, k: str) -> dict:
    """Code, name, department, frequency, entity, minutes, status, validity, description."""
    departments = catalog.departments()
    a, b, c = st.columns([2, 3, 2])
    values = {
        "code": a.text_input(
            "模板编码",
            defn["code"],
            disabled=code != _NEW,
            key=f"{k}_codetext",
            help="小写字母、数字、下划线，如 mz_elderly_visit",
        ),
        "name": b.text_input("报表名称", defn["name"], max_chars=60, key=f"{k}_name"),
        "department": c.selectbox(
            "部门",
            list(departments),
            index=list(departments).index(defn["department"])
            if defn["department"] in departments
            else 0,
            format_func=departments.get,
            key=f"{k}_dept",
        ),
    }
    a, b, c, d = st.columns(4)
    values["frequency"] = a.selectbox(
        "报送频次",
        list(reports.FREQUENCIES),
        index=list(reports.FREQUENCIES).index(defn["frequency"]),
        format_func=reports.FREQUENCIES.get,
        key=f"{k}_freq",
    )
    values["entity"] = b.selectbox(
        "对象",
        list(catalog.ENTITY_NAMES),
        index=list(catalog.ENTITY_NAMES).index(defn["entity"]),
        format_func=catalog.ENTITY_NAMES.get,
        disabled=code != _NEW,
        key=f"{k}_entity",
    )
    values["manual_minutes"] = c.number_input(
        "人工填报约（分钟/次）", 0, 10_000, int(defn["manual_minutes"]), key=f"{k}_minutes"
    )
    values["status"] = d.selectbox(
        "状态",
        list(reports.STATUSES),
        index=list(reports.STATUSES).index(defn["status"]),
        format_func=reports.STATUSES.get,
        key=f"{k}_status",
    )
    a, b = st.columns(2)
    values["valid_from"] = a.date_input(
        "生效日期", value=_day(defn.get("valid_from")), key=f"{k}_from"
    )
    values["valid_to"] = b.date_input(
        "失效日期（到期自动停用）", value=_day(defn.get("valid_to")), key=f"{k}_to"
    )
    values["description"] = st.text_input(
        "说明", defn.get("description", ""), max_chars=300, key=f"{k}_desc"
    )
    return values


def _filter(defn: dict, entity: str, k: str) -> dict:
    st.markdown("**筛选条件**")
    tag_names = {t["code"]: t["name"] for t in tags.tag_index() if t["entity"] == entity}
    chosen = (defn.get("filter") or {}).get("tags") or {}
    picked = {}
    for col, (mode, label) in zip(st.columns(3), _TAG_MODES, strict=True):
        picked[mode] = col.multiselect(
            label,
            list(tag_names),
            default=[t for t in chosen.get(mode, []) if t in tag_names],
            format_func=tag_names.get,
            placeholder="选择标签",
            key=f"{k}_tags_{mode}",
        )
    table = st.data_editor(
        pd.DataFrame(editing.condition_rows(defn), columns=["字段", "运算", "取值"]),
        num_rows="dynamic",
        hide_index=True,
        column_config={
            "字段": st.column_config.SelectboxColumn(
                options=list(editing.condition_fields(entity).values()), required=True
            ),
            "运算": st.column_config.SelectboxColumn(
                options=list(conditions.OP_NAMES.values()), required=True
            ),
            "取值": st.column_config.TextColumn(
                help="多个值用顿号分隔；“介于”填两个值，如 6、15；代码字段可填名称，如：男、户籍人口"
            ),
        },
        key=f"{k}_conds",
        placeholder="",
    )
    return {"tag_choice": picked, "condition_table": table.to_dict("records")}


def _columns(defn: dict, entity: str, k: str) -> dict:
    st.markdown("**列（按表格从左到右）**")
    labels = [*editing.column_choices(entity).values(), editing.BLANK_LABEL]
    table = st.data_editor(
        pd.DataFrame(editing.column_rows(defn)),
        num_rows="dynamic",
        hide_index=True,
        column_config={
            "内容": st.column_config.SelectboxColumn(options=labels, required=True),
            "表头文字": st.column_config.TextColumn(
                help="纸质表上的表头文字；留空则用字段标准名称", max_chars=40
            ),
            "上级表头": st.column_config.TextColumn(
                help="相邻列填同一上级表头即合并为两级表头", max_chars=40
            ),
            "合计": st.column_config.CheckboxColumn(help="数值列在合计行和小计行求和"),
        },
        key=f"{k}_cols",
        placeholder="",
    )
    a, b, c = st.columns(3)
    sorts = editing.sort_choices(entity)
    values = {
        "column_table": table.to_dict("records"),
        "sort": a.multiselect(
            "排序",
            list(sorts),
            default=[s for s in defn.get("sort") or [] if s in sorts],
            format_func=lambda s: sorts.get(s, s),
            key=f"{k}_sort",
        ),
    }
    groups = [None, *catalog.LEVELS]
    values["group_by"] = b.selectbox(
        "分组小计",
        groups,
        index=groups.index(defn.get("group_by")),
        format_func=lambda g: "不分组" if g is None else f"按{catalog.LEVEL_NAMES[g]}",
        key=f"{k}_group",
    )
    values["with_totals"] = c.toggle(
        "合计行", value=defn.get("totals") is not None, key=f"{k}_totals"
    )
    layout = defn.get("layout") or {}
    a, b = st.columns([1, 3])
    values["orientation"] = a.selectbox(
        "纸张方向",
        list(editing.ORIENTATIONS),
        index=list(editing.ORIENTATIONS).index(layout.get("orientation")),
        format_func=editing.ORIENTATIONS.get,
        key=f"{k}_orient",
    )
    values["note"] = b.text_input(
        "表下注释", layout.get("note") or "", max_chars=300, key=f"{k}_note"
    )
    return values


def _preview(scope: Scope, checked: dict | None, k: str) -> None:
    st.markdown("**预览**")
    org = org_picker(scope, f"{k}_org")
    if checked is None:
        return
    try:
        prepared = reports.prepare(scope, checked["code"], org, definition=checked)
        frame, total = reports.preview(prepared)
    except (reports.ReportError, AccessDenied) as exc:
        st.error(literal(exc))
    else:
        st.caption(f"按当前设置共 {total:,} 行，预览前 {len(frame)} 行：")
        st.dataframe(frame, hide_index=True, placeholder="")


def _history(scope: Scope, code: str) -> None:
    st.markdown("**版本记录**")
    history = pd.DataFrame(reports.history(scope, code)).rename(
        columns={
            "version": "版本",
            "name": "名称",
            "status": "状态",
            "source": "来源",
            "created_by": "保存人",
            "created_at": "保存时间",
            "runs": "运行次数",
        }
    )
    history["来源"] = history["来源"].map({"catalog": "目录文件", "editor": "模板编辑器"})
    history["状态"] = history["状态"].map(reports.STATUSES)
    st.dataframe(history, hide_index=True, placeholder="")


def editor(scope: Scope) -> None:
    """Pick a template (or start a new one), edit it, preview it, save it as a new version."""
    code, defn = _pick(scope)
    if defn["kind"] == "summary":
        st.info("统计表模板请在 data/catalog/reports/ 中按 YAML 维护；此处可查看定义和版本。")
        st.json(defn, expanded=False)
        st.dataframe(pd.DataFrame(reports.history(scope, code)), hide_index=True, placeholder="")
        return
    k = f"re_{code}"
    head = _head(code, defn, k)
    entity = head["entity"]
    parts = {**head, **_filter(defn, entity, k), **_columns(defn, entity, k)}
    try:
        data = editing.assemble(defn, **parts)
        checked = reports.check_definition(data)
    except reports.ReportError as exc:
        st.warning(f"模板尚不完整：{literal(exc)}")
        data, checked = None, None
    _preview(scope, checked, k)
    label = "保存为新版本" if code != _NEW else "保存模板"
    if st.button(
        label, type="primary", icon=":material/save:", disabled=checked is None, key=f"{k}_save"
    ):
        try:
            stored = reports.save_version(scope, data)
        except (reports.ReportError, AccessDenied) as exc:
            st.error(literal(exc))
        else:
            st.success(
                f"已保存“{literal(stored['name'])}”第 {stored['version']} 版；"
                "此前的运行记录仍指向各自使用的版本。"
            )
    if code != _NEW:
        _history(scope, code)
