"""标签查询 widgets: the taxonomy tree with counts and 且/或/非, area and field conditions, rule editor."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from yibiaotong import catalog, conditions, db, tag_query, tags
from yibiaotong.scope import Scope
from yibiaotong.ui import charts
from yibiaotong.ui.markdown import literal

MODES = ("all", "any", "none")
MODE_LABELS = {"all": "且", "any": "或", "none": "非"}
DEFAULT_MODE = "any"
QUICK_CODES = {  # the code-list fields offered as one-tap pills, per entity
    "resident": ("sex", "residence_type"),
    "household": ("household_type",),
    "house": ("occupancy", "use_type"),
    "shop": ("category", "inspection_status"),
}
TABLE_FORMATS = {
    "育儿补助（元）": st.column_config.NumberColumn(format="localized"),
    "年龄": st.column_config.NumberColumn(width="small"),
    "孩次": st.column_config.NumberColumn(width="small"),
    "性别": st.column_config.TextColumn(width="small"),
}
_PICKED = "tq_picked"
_EXTRA = "tq_extra"


# ---------------------------------------------------------------------------------------------
# Cached reads: every key holds the scope and the data version (st.cache_data is shared by all).


@st.cache_data(ttl=600, max_entries=200, show_spinner=False)
def _tree(scope: Scope, entity: str, org_code: str | None, version: int) -> list[dict]:
    return tags.tree(scope, entity, org_code)


@st.cache_data(ttl=600, max_entries=500, show_spinner=False)
def _summary(scope: Scope, spec_json: str, version: int) -> dict:
    return tag_query.summary(scope, json.loads(spec_json))


@st.cache_data(ttl=600, max_entries=500, show_spinner=False)
def _page(
    scope: Scope, spec_json: str, limit: int, offset: int, sort: str, version: int, view: str | None
) -> pd.DataFrame:
    return tag_query.page(scope, json.loads(spec_json), limit, offset, sort)


@st.cache_data(ttl=600, max_entries=500, show_spinner=False)
def _breakdown(scope: Scope, spec_json: str, level: str | None, version: int) -> pd.DataFrame:
    return tag_query.breakdown(scope, json.loads(spec_json), level)


def summary(scope: Scope, spec: dict) -> dict:
    return _summary(scope, spec_key(spec), db.data_version())


def page(scope: Scope, spec: dict, limit: int, offset: int, sort: str) -> pd.DataFrame:
    # An unmasked page is logged once per page view: a new view must reach the domain again.
    view = st.session_state.get("yb_view") if scope.clearance else None
    return _page(scope, spec_key(spec), limit, offset, sort, db.data_version(), view)


def breakdown(scope: Scope, spec: dict, level: str | None) -> pd.DataFrame:
    return _breakdown(scope, spec_key(spec), level, db.data_version())


def spec_key(spec: dict) -> str:
    return json.dumps(spec, ensure_ascii=False, sort_keys=True)


# ---------------------------------------------------------------------------------------------
# Tag tree


def _picked(entity: str) -> dict[str, str]:
    """The chosen tags of an entity, code → mode: the source of truth the widgets mirror."""
    return st.session_state.setdefault(_PICKED, {}).setdefault(entity, {})


def _on_tick(entity: str, code: str) -> None:
    picked = _picked(entity)
    if st.session_state.get(f"tq_cb_{entity}_{code}"):
        picked[code] = st.session_state.get(f"tq_mode_{entity}_{code}") or DEFAULT_MODE
    else:
        picked.pop(code, None)


def _on_mode(entity: str, code: str) -> None:
    mode = st.session_state.get(f"tq_mode_{entity}_{code}")
    if mode is None:  # tapping the selected option again clears it; keep the tag's mode
        st.session_state[f"tq_mode_{entity}_{code}"] = _picked(entity).get(code, DEFAULT_MODE)
        return
    _picked(entity)[code] = mode


def _on_remove(entity: str, code: str) -> None:
    _picked(entity).pop(code, None)
    st.session_state[f"tq_cb_{entity}_{code}"] = False


def _on_clear(entity: str) -> None:
    for code in list(_picked(entity)):
        _on_remove(entity, code)


def _label(tag: dict, with_path: bool = False) -> str:
    name = literal(tag["path"] if with_path else tag["name"])
    lead = "" if with_path or not tag["depth"] else "\u3000" * (tag["depth"] - 1) + "└ "
    flag = " :orange[敏感]" if tag["sensitivity"] == "sensitive" else ""
    return f"{lead}{name}{flag} :gray[{tag['count']:,}]"


def _help(tag: dict) -> str:
    text = tag["description"] or ""
    if tag["kind"] == "rule" and tag["rule"]:
        text += f"\n\n规则（自动计算）：{tags.describe_rule(tag['entity'], tag['rule'])}"
    else:
        text += f"\n\n来源：{tags.KIND_NAMES[tag['kind']]}"
    return text.strip()


def _checkbox(entity: str, tag: dict, with_path: bool = False) -> None:
    key = f"tq_cb_{entity}_{tag['code']}"
    if key not in st.session_state:
        st.session_state[key] = tag["code"] in _picked(entity)
    st.checkbox(
        _label(tag, with_path),
        key=key,
        help=_help(tag),
        on_change=_on_tick,
        args=(entity, tag["code"]),
    )


def tag_picker(scope: Scope, entity: str, org_code: str | None) -> dict[str, list[str]]:
    """The taxonomy as category → tag → sub-tag with counts in scope; returns the tag spec."""
    tree = _tree(scope, entity, org_code, db.data_version())
    if not tree:
        st.caption("此类对象暂无可用标签。")
        return {mode: [] for mode in MODES}
    search = st.text_input(
        "搜索标签",
        placeholder="输入标签名称，如 二孩、独居、群租",
        key=f"tq_search_{entity}",
    ).strip()
    # The choice (with 且/或/非) sits above the long tree, where it stays in sight; inside one
    # container, so the expanders below keep their place (and their open state) as it grows.
    with st.container():
        spec = _chosen_panel(entity, tree)
    if search:
        hits = [t for t in tree if search.lower() in t["path"].lower()]
        for tag in hits:
            _checkbox(entity, tag, with_path=True)
        if not hits:
            st.caption(f"没有名称含“{literal(search)}”的标签。")
    else:
        categories = dict.fromkeys(t["category_name"] for t in tree)
        for category in categories:
            rows = [t for t in tree if t["category_name"] == category]
            with st.expander(f"{category}（{len(rows)}）"):
                for tag in rows:
                    _checkbox(entity, tag)
    return spec


def _chosen_panel(entity: str, tree: list[dict]) -> dict[str, list[str]]:
    picked = _picked(entity)
    by_code = {t["code"]: t for t in tree}
    for code in [c for c in picked if c not in by_code]:
        picked.pop(code)  # retired, or hidden after a change of role
    spec: dict[str, list[str]] = {mode: [] for mode in MODES}
    if not picked:
        st.caption("勾选标签后，可为每个标签选择“且 / 或 / 非”。")
        return spec
    st.markdown("**已选标签**")
    for code in [t["code"] for t in tree if t["code"] in picked]:
        mode_key = f"tq_mode_{entity}_{code}"
        if mode_key not in st.session_state:
            st.session_state[mode_key] = picked[code]
        # A horizontal container stays one row on a phone, where columns would stack.
        with st.container(horizontal=True, vertical_alignment="bottom", wrap=False):
            st.segmented_control(
                literal(by_code[code]["name"]),
                MODES,
                format_func=MODE_LABELS.get,
                key=mode_key,
                on_change=_on_mode,
                args=(entity, code),
            )
            st.button(
                "",
                icon=":material/close:",
                key=f"tq_rm_{entity}_{code}",
                help="移除该标签",
                on_click=_on_remove,
                args=(entity, code),
                type="tertiary",
            )
        spec[picked[code]].append(code)
    st.caption("且：必须带有；或：至少带有其中一个；非：不带有。")
    st.button("清空标签", key=f"tq_clear_{entity}", on_click=_on_clear, args=(entity,))
    return spec


# ---------------------------------------------------------------------------------------------
# Area and field conditions


def area_picker(scope: Scope) -> str | None:
    """Street → community → grid inside the scope; returns the narrowest chosen unit or None."""
    chosen, parent = None, scope.org_code
    for level, label in (("street", "街道"), ("community", "社区"), ("grid", "网格")):
        children = [u for u in catalog.org_children(parent) if u["level"] == level]
        if not children:
            continue
        names = {u["code"]: u["name"] for u in children}
        key = f"tq_area_{level}"
        if st.session_state.get(key) not in (None, *names):
            st.session_state[key] = None
        code = st.selectbox(
            label,
            list(names),
            format_func=names.get,
            index=None,
            placeholder=f"全部{label}",
            key=key,
        )
        if code is None:
            break
        chosen = parent = code
    return chosen


def _quick(entity: str) -> list[dict]:
    refs, names = tags.reference(entity)
    found = []
    if entity == "resident":
        left, right = st.columns(2)
        low = left.number_input(
            "最小年龄",
            min_value=0,
            max_value=150,
            value=None,
            step=1,
            key="tq_age_min",
            placeholder="不限",
        )
        high = right.number_input(
            "最大年龄",
            min_value=0,
            max_value=150,
            value=None,
            step=1,
            key="tq_age_max",
            placeholder="不限",
        )
        if low is not None and high is not None and low > high:
            st.warning("最小年龄不能大于最大年龄。")
        elif low is not None and high is not None:
            found.append({"field": "age", "op": "between", "value": [int(low), int(high)]})
        elif low is not None:
            found.append({"field": "age", "op": ">=", "value": int(low)})
        elif high is not None:
            found.append({"field": "age", "op": "<=", "value": int(high)})
    for column in QUICK_CODES[entity]:
        ref = refs[column]
        items = names.get(column, {})
        picked = st.pills(
            ref.label,
            list(items),
            format_func=items.get,
            selection_mode="multi",
            key=f"tq_quick_{entity}_{column}",
        )
        if picked:
            found.append({"field": ref.code, "op": "in", "value": list(picked)})
    return found


def _ops_for(ref: conditions.FieldRef) -> list[str]:
    return [op.key for op in conditions.ops_for(ref)]


def _value_widget(ref: conditions.FieldRef, op: str, names: dict) -> Any:
    if op in ("is_null", "not_null"):
        return None
    if ref.data_type == "code":
        items = names.get(ref.column, {})
        if op in ("in", "not_in"):
            return st.multiselect("取值", list(items), format_func=items.get, key="tq_x_values")
        return st.selectbox("取值", list(items), format_func=items.get, key="tq_x_value")
    if ref.data_type == "bool":
        return st.radio(
            "取值",
            [True, False],
            format_func=lambda v: "是" if v else "否",
            horizontal=True,
            key="tq_x_bool",
        )
    if ref.data_type in ("int", "decimal"):
        step = 1 if ref.data_type == "int" else 0.5
        cast = int if ref.data_type == "int" else float
        if op == "between":
            left, right = st.columns(2)
            low = left.number_input("下限", value=None, step=step, key="tq_x_lo")
            high = right.number_input("上限", value=None, step=step, key="tq_x_hi")
            return None if low is None or high is None else [cast(low), cast(high)]
        value = st.number_input("取值", value=None, step=step, key="tq_x_num")
        return None if value is None else cast(value)
    if ref.data_type == "date":
        if op == "between":
            got = st.date_input("日期范围", value=[], key="tq_x_dates")
            return [d.isoformat() for d in got] if len(got) == 2 else None
        got = st.date_input("日期", value=None, key="tq_x_date")
        return None if got is None else got.isoformat()
    text = st.text_input("取值", key="tq_x_text", max_chars=100)
    if op == "in":
        return [v.strip() for v in text.replace("，", ",").split(",") if v.strip()] or None
    return text or None


def _on_add(condition: dict) -> None:
    st.session_state.setdefault(_EXTRA, []).append(condition)


def _on_drop(index: int) -> None:
    extra = st.session_state.get(_EXTRA, [])
    if 0 <= index < len(extra):
        extra.pop(index)


def condition_builder(scope: Scope, entity: str) -> list[dict]:
    """Quick filters (age, sex, 人口类型 …) and any further whitelisted field condition."""
    quick = _quick(entity)
    refs, names = tags.reference(entity)
    fields = [r for r in tags.rule_fields(entity) if scope.clearance or not r.sensitive]
    extra = [c for c in st.session_state.get(_EXTRA, []) if c["field"] in refs]
    with st.expander("更多字段条件"):
        ref = st.selectbox(
            "字段", fields, format_func=lambda r: r.label, key=f"tq_x_field_{entity}"
        )
        op = st.selectbox("运算", _ops_for(ref), format_func=conditions.OP_NAMES.get, key="tq_x_op")
        value = _value_widget(ref, op, names)
        needs_value = op not in ("is_null", "not_null")
        condition = {"field": ref.code or ref.key, "op": op}
        if needs_value:
            condition["value"] = value
        st.button(
            "添加条件",
            key="tq_x_add",
            disabled=needs_value and value in (None, [], ""),
            on_click=_on_add,
            args=(condition,),
        )
        for index, cond in enumerate(st.session_state.get(_EXTRA, [])):
            if cond["field"] not in refs:
                continue
            c_ref = refs[cond["field"]]
            row = st.container(horizontal=True, vertical_alignment="center", wrap=False)
            row.markdown(
                "· "
                + literal(
                    conditions.describe(
                        c_ref, cond["op"], cond.get("value"), code_names=names, with_actual=False
                    )
                )
            )
            row.button(
                "",
                icon=":material/close:",
                key=f"tq_x_drop_{index}",
                on_click=_on_drop,
                args=(index,),
                type="tertiary",
                help="删除该条件",
            )
    return quick + extra


# ---------------------------------------------------------------------------------------------
# Loading a saved spec into the widgets


def apply_spec(spec: dict) -> None:
    """Callback: put a (saved) spec into the widgets and switch to the query tab."""
    entity = spec["entity"]
    for key in [
        k for k in st.session_state if str(k).startswith(("tq_cb_", "tq_mode_", "tq_quick_"))
    ]:
        del st.session_state[key]
    st.session_state[_PICKED] = {
        entity: {str(code): mode for mode in MODES for code in spec["tags"].get(mode, [])}
    }
    st.session_state["tq_entity"] = entity
    extra, ages = [], {}
    for cond in spec.get("conditions", []):
        field, op, value = cond.get("field"), cond.get("op"), cond.get("value")
        column = field.removeprefix(f"{entity}_") if isinstance(field, str) else field
        if field == "age" and op in (">=", "<=", "between") and "min" not in ages:
            ages["min"] = value[0] if op == "between" else value if op == ">=" else None
            ages["max"] = value[1] if op == "between" else value if op == "<=" else None
        elif op == "in" and column in QUICK_CODES[entity]:
            st.session_state[f"tq_quick_{entity}_{column}"] = list(value)
        else:
            extra.append(cond)
    st.session_state["tq_age_min"] = ages.get("min")
    st.session_state["tq_age_max"] = ages.get("max")
    st.session_state[_EXTRA] = extra
    for level in ("street", "community", "grid"):
        st.session_state[f"tq_area_{level}"] = None
    org = spec.get("org_code")
    if org:
        for level, length in (("street", 9), ("community", 12), ("grid", 15)):
            if len(org) >= length:
                st.session_state[f"tq_area_{level}"] = org[:length]
    st.session_state["tq_page_no"] = 1
    st.session_state["tq_tab"] = "查询"


# ---------------------------------------------------------------------------------------------
# Results


def breakdown_chart(frame: pd.DataFrame, unit: str) -> tuple[charts.Option, int]:
    """A small horizontal bar chart of a breakdown (works on a phone too) and its height."""
    height = min(40 + 30 * len(frame), 640)
    counts = list(frame["数量"])
    option = charts.hbar(
        frame["名称"],
        counts,
        charts.LIGHT,
        "",
        height,
        text=[f"{c:,} {unit}" for c in counts],
    )
    return option, height


def explain_table(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"标签": r["tag"], "分类": r["category"], "来源": r["source_name"], "原因": r["reason"]}
            for r in rows
        ]
    )


# ---------------------------------------------------------------------------------------------
# Rule editor (district admin)

_MATCH_LABELS = {"all": "全部满足（且）", "any": "任一满足（或）"}


def rule_table(entity: str, rule: dict | None) -> pd.DataFrame:
    """A rule as editable rows of 字段 / 运算 / 取值 (values in words, codes as their names)."""
    refs, names = tags.reference(entity)
    rows = []
    for cond in (rule or {}).get("conditions", []):
        ref = refs.get(cond["field"])
        rows.append(
            {
                "字段": ref.label if ref else cond["field"],
                "运算": conditions.OP_NAMES.get(cond["op"], cond["op"]),
                "取值": conditions.value_text(ref, cond.get("value"), names) if ref else "",
            }
        )
    return pd.DataFrame(rows, columns=["字段", "运算", "取值"])


def rule_editor(scope: Scope) -> None:
    """Pick a rule tag, edit its conditions as rows, save (validated), refresh, toast."""
    rule_tags = [t for t in tags.tag_index() if t["kind"] == "rule"]
    tag = st.selectbox(
        "规则标签",
        rule_tags,
        format_func=lambda t: (
            f"{tags.ENTITY_NAMES[t['entity']]} · {t['category_name']} · {t['name']}"
        ),
        key="tq_rule_tag",
    )
    if tag is None:
        return
    entity = tag["entity"]
    st.caption(
        f"当前规则：{literal(tags.describe_rule(entity, tag['rule']))}"
        if tag["rule"]
        else "尚无规则"
    )
    field_labels = [r.label for r in tags.rule_fields(entity)]
    match = st.radio(
        "条件之间",
        list(_MATCH_LABELS),
        format_func=_MATCH_LABELS.get,
        index=0 if (tag["rule"] or {}).get("match", "all") == "all" else 1,
        horizontal=True,
        key=f"tq_rule_match_{tag['code']}",
    )
    edited = st.data_editor(
        rule_table(entity, tag["rule"]),
        num_rows="dynamic",
        hide_index=True,
        key=f"tq_rule_rows_{tag['code']}",
        column_config={
            "字段": st.column_config.SelectboxColumn("字段", options=field_labels, required=True),
            "运算": st.column_config.SelectboxColumn(
                "运算", options=list(conditions.OP_NAMES.values()), required=True
            ),
            "取值": st.column_config.TextColumn(
                "取值", help="多个值用顿号或逗号分隔；“介于”填两个值，如 6,15；代码字段可填名称"
            ),
        },
        placeholder="",
    )
    st.caption(
        "可用字段含派生值：年龄、月龄、户内在册人数、户内未成年人数（如“户内未成年人数 大于等于 3”）。"
        "保存后立即按新规则重新计算全部记录，并记入访问日志。"
    )
    if st.button("保存并重新计算", type="primary", key="tq_rule_save"):
        try:
            rule = tags.rule_from_rows(entity, match, edited.to_dict("records"))
            with st.spinner("正在重新计算规则标签…"):
                counts = tags.update_rule(scope, tag["code"], rule)
        except (conditions.RuleError, PermissionError) as exc:
            st.error(literal(exc))
        else:
            n = counts.get(tag["code"], 0)
            st.toast(f"已保存“{literal(tag['name'])}”，现有 {n:,} 条记录带此标签")
            st.success(f"规则已保存：{literal(tags.describe_rule(entity, rule))}")
