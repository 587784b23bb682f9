"""台账 widgets: search list, record form with confirm dialog, tags, history, quality hints."""

from __future__ import annotations

import math
from datetime import date

import streamlit as st

from yibiaotong import catalog, ledger, masking
from yibiaotong.scope import AccessDenied, Scope
from yibiaotong.ui import event_forms
from yibiaotong.ui.markdown import literal
from yibiaotong.ui.shell import flash

SEARCH_HELP = {
    "resident": "姓名、拼音首字母（如 zjh）、身份证或电话后 4–6 位、完整号码、地址",
    "household": "户号、地址、户主拼音首字母、电话片段",
    "house": "房屋编号、地址、产权人、电话片段",
    "shop": "店铺名称、地址、负责人、信用代码或电话片段",
}
TITLE_COLUMN = {"resident": "name", "household": "household_no", "house": "address", "shop": "name"}


# ---------------------------------------------------------------- browse


def browse(scope: Scope, entity: str) -> None:
    """Search box, filters, one page of results; picking a row opens the record."""
    event_forms.new_record(scope, entity)
    c1, c2 = st.columns([3, 2])
    text = c1.text_input(
        "搜索", key=f"ledger_q_{entity}", placeholder=SEARCH_HELP[entity], max_chars=50
    )
    labels = catalog.org_labels(scope.org_code)
    org_code = c2.selectbox(
        "范围",
        list(labels),
        format_func=labels.__getitem__,
        key=f"ledger_org_{entity}",
    )
    c3, c4, c5 = st.columns(3)
    status = c3.selectbox(
        "状态",
        [*ledger.STATUSES[entity], None],
        format_func=lambda s: "全部" if s is None else ledger.STATUS_NAMES[s],
        key=f"ledger_status_{entity}",
    )
    sorts = ledger.sort_options(entity)
    sort = c4.selectbox("排序", list(sorts), format_func=sorts.get, key=f"ledger_sort_{entity}")
    descending = c5.toggle("倒序", key=f"ledger_desc_{entity}")

    page_key = f"ledger_page_{entity}"
    page = st.session_state.get(page_key, 1)
    try:
        rows, total = ledger.search(scope, entity, text, org_code, status, sort, descending, page)
    except ledger.LedgerError as exc:
        st.error(literal(exc))
        return
    # Counts stop at the cap, so past it the pager grows one page at a time.
    pages = max(1, math.ceil(total / ledger.PAGE_SIZE))
    shown = f"{ledger.COUNT_CAP:,}+" if total >= ledger.COUNT_CAP else f"{total:,}"
    st.caption(f"共 {shown} 条，第 {min(page, pages)} / {pages} 页。点选一行打开记录。")
    if total == 0:
        st.info("没有符合条件的记录。可换个关键字，或把“范围”放大。")
        return
    columns = {"id": "编号", **ledger.SEARCH_COLUMNS[entity], "org_name": "所属网格"}
    view = rows[list(columns)].rename(columns=columns)
    view["所属网格"] = view["所属网格"].map(lambda p: (p or "").split("/")[-1])
    event = st.dataframe(
        view,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=f"ledger_table_{entity}_{page}",
        placeholder="",
    )
    if pages > 1:
        st.pagination(pages, key=page_key)
    if event.selection.rows:
        open_record(entity, int(rows.iloc[event.selection.rows[0]]["id"]))


def open_record(entity: str, record_id: int) -> None:
    st.session_state[event_forms.GOTO_KEY] = (entity, record_id)
    st.rerun()


def apply_goto() -> None:
    """Open the record a previous run asked for: set the entity switch before it is drawn."""
    goto = st.session_state.pop(event_forms.GOTO_KEY, None)
    if goto:
        st.session_state["ledger_entity"] = goto[0]
        st.query_params["entity"] = goto[0]
        st.query_params["id"] = str(goto[1])


def close_record() -> None:
    st.query_params.pop("id", None)
    st.rerun()


# ---------------------------------------------------------------- one record


def record(scope: Scope, entity: str, record_id: str) -> None:
    """The record page: hints, then tabs 详情 / 业务办理 / 标签 / 历史."""
    if st.button("返回列表", icon=":material/arrow_back:", key="ledger_back"):
        close_record()
    try:
        rec = ledger.open_record(scope, entity, record_id)
    except (AccessDenied, ledger.LedgerError) as exc:
        st.error(literal(exc))
        return
    title = rec.get(TITLE_COLUMN[entity]) or f"#{rec['id']}"
    st.subheader(f"{ledger.ENTITIES[entity]}：{literal(title)}")
    st.caption(
        f"编号 {rec['id']} · {ledger.STATUS_NAMES.get(rec['status'], rec['status'])} · "
        f"{literal(catalog.org_label(rec['grid_code']))} · 第 {rec['version']} 版，"
        f"{rec['updated_at']:%Y-%m-%d %H:%M} 由 {literal(rec['updated_by'])} 更新"
    )
    hints = ledger.quality_hints(scope, entity, rec)
    if hints:
        st.warning("数据质量提示：\n\n" + "\n".join(f"- {literal(h)}" for h in hints))
    details, events_tab, tags_tab, history_tab = st.tabs(["详情", "业务办理", "标签", "历史"])
    with details:
        edit_form(scope, entity, rec)
    with events_tab:
        event_forms.RECORD_EVENTS[entity](scope, rec)
    with tags_tab:
        tag_panel(scope, entity, rec)
    with history_tab:
        history_panel(scope, entity, rec)


def _widget(scope: Scope, f: dict, value, key: str):
    """One form widget for a field of the standard; returns the entered value."""
    label = f["name"] + (" *" if f["required"] else "")
    if f["sensitivity"] == "sensitive" and not scope.clearance:
        st.text_input(label, ledger.display(scope, f, value), disabled=True, key=key)
        return value  # masked: shown, never editable, never sent back
    kind = f["data_type"]
    if kind == "code":
        items = catalog.code_items(f["code_list"])
        options = [None, *items]
        index = options.index(value) if value in options else 0
        return st.selectbox(
            label,
            options,
            index=index,
            key=key,
            format_func=lambda c: "—" if c is None else items[c],
        )
    if kind == "date":
        return st.date_input(
            label,
            value,
            min_value=date(1890, 1, 1),
            max_value=date.today(),
            key=key,
            format="YYYY-MM-DD",
        )
    if kind == "int":
        return st.number_input(label, value=value, step=1, min_value=0, key=key)
    if kind == "decimal":
        return st.number_input(
            label,
            value=float(value) if value is not None else None,
            step=0.01,
            min_value=0.0,
            key=key,
        )
    if kind == "bool":
        options = [None, True, False]
        return st.selectbox(
            label,
            options,
            index=options.index(value) if value in options else 0,
            key=key,
            format_func=lambda v: "—" if v is None else ("是" if v else "否"),
        )
    text = st.text_input(label, "" if value is None else str(value), max_chars=None, key=key)
    return text


def edit_form(scope: Scope, entity: str, rec: dict) -> None:
    """Edit → validate → confirm dialog → save → toast."""
    fields = ledger.editable_fields(entity)
    prefix = f"ledger_f_{entity}_{rec['id']}_{rec['version']}"
    sources = ledger.provenance(scope, entity, rec["id"])
    with st.form(f"{prefix}_form", border=False):
        entered = {}
        cols = st.columns(2)
        for i, f in enumerate(fields):
            with cols[i % 2]:
                entered[f["code"]] = _widget(
                    scope, f, ledger.value_of(rec, f), f"{prefix}_{f['code']}"
                )
                if f["code"] in sources:  # where the value came from, beside it
                    st.caption(literal(ledger.provenance_text(sources[f["code"]])))
        submitted = st.form_submit_button("保存修改", type="primary", icon=":material/save:")
    readonly = [f for f in ledger.fields(entity) if f["column_name"] in ledger.EVENT_ONLY_COLUMNS]
    with st.expander("关联与业务字段（通过业务办理修改）"):
        for f in readonly:
            shown = ledger.display(scope, f, ledger.value_of(rec, f)) or "—"
            st.markdown(f"**{literal(f['name'])}**：{literal(shown)}")
    codes = {f["code"] for f in ledger.fields(entity)}
    kept = {k: v for k, v in (rec.get("attrs") or {}).items() if k not in codes}
    if kept:  # columns a 数据回流 file brought that the field standard does not have
        with st.expander("回流附加信息"):
            for key, value in kept.items():
                shown = value if scope.clearance else masking.mask_value("text", value)
                st.text(f"{key}：{shown}")
                if f"attr:{key}" in sources:
                    st.caption(literal(ledger.provenance_text(sources[f"attr:{key}"])))
    if submitted:
        _stage_edit(scope, entity, rec, fields, entered)
    pending = st.session_state.get("ledger_pending")
    if pending and (pending["entity"], pending["id"]) == (entity, rec["id"]):
        confirm_dialog(scope)


def _stage_edit(scope: Scope, entity: str, rec: dict, fields: list[dict], entered: dict) -> None:
    """Validate what the form holds; park a valid edit for the confirm dialog."""
    changes = {
        f["code"]: entered[f["code"]]
        for f in fields
        if not (f["sensitivity"] == "sensitive" and not scope.clearance)
        and ledger.differs(f, entered[f["code"]], ledger.value_of(rec, f))
    }
    if not changes:
        st.info("没有修改任何字段。")
        return
    try:
        clean = ledger.validate_changes(entity, rec, changes, scope)
    except ledger.ValidationFailed as exc:
        st.error("未保存，请更正：\n\n" + "\n".join(f"- {literal(e)}" for e in exc.errors))
        return
    st.session_state["ledger_pending"] = {
        "entity": entity,
        "id": rec["id"],
        "version": rec["version"],
        "changes": changes,
        "clean": clean,
    }


def _drop_pending() -> None:
    st.session_state.pop("ledger_pending", None)


@st.dialog("确认保存", on_dismiss=_drop_pending)
def confirm_dialog(scope: Scope) -> None:
    pending = st.session_state.get("ledger_pending")
    if not pending:
        return
    entity = pending["entity"]
    by_code = {f["code"]: f for f in ledger.fields(entity)}
    rec = ledger.get(scope, entity, pending["id"])
    st.write("将保存以下修改：")
    for code, new in pending["clean"].items():
        f = by_code[code]
        old = ledger.display(scope, f, ledger.value_of(rec, f)) or "（空）"
        new = ledger.display(scope, f, new) or "（空）"
        st.markdown(f"- **{literal(f['name'])}**：{literal(old)} → {literal(new)}")
    stale: ledger.StaleEdit | None = None
    c1, c2 = st.columns(2)
    if c1.button("确认保存", type="primary", key="ledger_confirm"):
        try:
            ledger.save(scope, entity, pending["id"], pending["changes"], pending["version"])
        except ledger.StaleEdit as exc:
            stale = exc
        except ledger.LedgerError as exc:
            st.error(literal(exc))
            return
        else:
            st.session_state.pop("ledger_pending", None)
            flash("已保存，修改已记入历史。")
            st.rerun()
    if c2.button("取消", key="ledger_cancel"):
        st.session_state.pop("ledger_pending", None)
        st.rerun()
    if stale is not None:
        st.error(literal(stale) + " 以下是他人在此期间的修改：")
        for ch in stale.meanwhile:
            st.markdown(
                f"- {ch['changed_at']:%H:%M:%S} {literal(ch['username'])} 将 "
                f"**{literal(ch['field_name'])}** 由 {literal(ch['old'] or '（空）')} "
                f"改为 {literal(ch['new'] or '（空）')}"
            )
        pending["version"] = stale.current_version
        st.session_state["ledger_pending"] = pending
        st.info("再次点击“确认保存”，将在最新版本上重新应用您的修改；点击“取消”放弃。")


def tag_panel(scope: Scope, entity: str, rec: dict) -> None:
    """Rule and import tags read-only with why; manual tags editable."""
    from yibiaotong import tags

    carried = ledger.record_tags(scope, entity, rec["id"])
    reasons = {r["code"]: r["reason"] for r in tags.explain(scope, entity, rec["id"])}
    kinds = {"rule": "规则", "import": "回流", "manual": "手工"}
    if not carried:
        st.caption("暂无标签。")
    for t in carried:
        why = reasons.get(t["code"]) or ""
        st.markdown(
            f"- **{literal(t['name'])}**（{literal(t['category_name'])} · {kinds[t['kind']]}）"
            + (f"：{literal(why)}" if why else "")
        )
    options = {t["code"]: t["name"] for t in ledger.manual_tags(scope, entity)}
    if not options:
        return
    current = [t["code"] for t in carried if t["source"] == "manual"]
    chosen = st.multiselect(
        "手工标签",
        list(options),
        default=current,
        format_func=options.get,
        key=f"ledger_tags_{entity}_{rec['id']}",
    )
    if st.button("保存标签", key=f"ledger_tags_save_{entity}_{rec['id']}"):
        for code in set(chosen) ^ set(current):
            ledger.set_manual_tag(scope, entity, rec["id"], code, code in chosen)
        flash("标签已更新。")
        st.rerun()


def history_panel(scope: Scope, entity: str, rec: dict) -> None:
    rows = ledger.history(scope, entity, rec["id"])
    if not rows:
        st.caption("暂无修改记录（演示数据为初始导入）。")
        return
    st.dataframe(
        [
            {
                "时间": r["changed_at"].strftime("%Y-%m-%d %H:%M:%S"),
                "操作人": r["username"],
                "字段": r["field_name"],
                "原值": r["old"],
                "新值": r["new"],
                "来源": ledger.source_name(r["source"]),
                "批次": (r["batch_id"] or "")[:8],
            }
            for r in rows
        ],
        hide_index=True,
        placeholder="",
    )
