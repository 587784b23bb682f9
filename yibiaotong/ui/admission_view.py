"""报表准入 widgets: a department's request with its assessment, the admin's review, expiry and
renewal, and the panels on the home page. Everything a user typed is shown as plain text."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from yibiaotong import admission, catalog, reports, tags
from yibiaotong.admission import Assessment, RequestedField
from yibiaotong.scope import AccessDenied, Scope
from yibiaotong.ui.markdown import literal
from yibiaotong.ui.report_view import org_picker
from yibiaotong.ui.shell import flash

NOT_HELD = "（台账没有，需采集）"
SEQ_LABEL = "序号（不是字段）"
STATE_ICONS = {
    "submitted": ":material/hourglass_top:",
    "returned": ":material/undo:",
    "approved_new": ":material/check_circle:",
    "approved_existing": ":material/check_circle:",
    "renewed": ":material/check_circle:",
    "rejected": ":material/block:",
    "withdrawn": ":material/remove_circle_outline:",
}
ERRORS = (admission.AdmissionError, AccessDenied, reports.ReportError)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


# ---------------------------------------------------------------------------------------------
# Assessment


def assessment(result: Assessment, *, key: str) -> None:
    """Coverage, overlap and burden, shown to the requester and the reviewer alike."""
    a, b, c, d = st.columns(4)
    a.metric(
        "台账已覆盖",
        _pct(result.coverage),
        help="申请的字段中，台账已有、可一键生成的比例",
        border=True,
    )
    b.metric("需新采集", f"{result.collect} 个字段", border=True)
    rows = "—" if result.rows is None else f"{result.rows:,}"
    c.metric(
        "涉及行数", rows, help=result.rows_note or "报表范围内符合人群条件的记录数", border=True
    )
    d.metric(
        "采集负担（人·时/年）",
        f"{result.burden_hours:,.1f}",
        delta=f"台账节省 {result.saved_hours:,.1f}",
        delta_color="normal",
        help="需采集的字段每年要花的人工；台账已有的字段由系统生成，节省的人工见下方小字",
        border=True,
    )
    if result.rows_note:
        st.caption(literal(result.rows_note))
    st.caption(admission.BURDEN_MODEL)
    if result.overlaps:
        top = result.overlaps[0]
        st.info(
            f"本申请 {top.share:.0%} 的字段已在现有报表《{literal(top.name)}》（{literal(top.department)}）中。"
            "审核时可考虑直接使用现有报表。",
            icon=":material/content_copy:",
        )
        st.dataframe(
            pd.DataFrame(
                {
                    "现有报表": [o.name for o in result.overlaps[:5]],
                    "部门": [o.department for o in result.overlaps[:5]],
                    "重合": [f"{o.share:.0%}" for o in result.overlaps[:5]],
                    "共有字段": ["、".join(o.shared) for o in result.overlaps[:5]],
                    "现有报表没有的": ["、".join(o.missing) or "—" for o in result.overlaps[:5]],
                }
            ),
            hide_index=True,
            key=f"{key}_overlap",
            placeholder="",
        )
    else:
        st.caption("现有在用报表中没有与本申请重合的字段。")
    st.dataframe(
        pd.DataFrame(
            {
                "申请的字段": [f.header for f in result.fields],
                "对应标准字段": [f.label for f in result.fields],
                "台账": [
                    {"held": "已有", "collect": "需采集", "seq": "—"}[f.kind] for f in result.fields
                ],
                "说明": [f.why for f in result.fields],
                "置信度": [
                    round(f.score) if f.field and f.status != "picked" else None
                    for f in result.fields
                ],
            }
        ),
        hide_index=True,
        key=f"{key}_fields",
        placeholder="",
    )


# ---------------------------------------------------------------------------------------------
# The requester


def _tag_choices(scope: Scope, entity: str) -> dict[str, str]:
    return {
        t["code"]: t["name"]
        for t in tags.tag_index()
        if t["entity"] == entity and tags.visible(scope, t)
    }


def _particulars(scope: Scope, k: str) -> admission.RequestMeta:
    a, b = st.columns([3, 2])
    title = a.text_input(
        "报表名称", max_chars=60, key=f"{k}_title", placeholder="如：高龄老人健康随访名册"
    )
    entity = b.selectbox(
        "报表对象（一行是什么）",
        list(catalog.ENTITY_NAMES),
        format_func=catalog.ENTITY_NAMES.get,
        key=f"{k}_entity",
    )
    purpose = st.text_area(
        "用途说明",
        max_chars=500,
        key=f"{k}_purpose",
        height=80,
        placeholder="为什么需要这张表、数据用于什么工作",
    )
    basis = st.text_input(
        "依据（文件、法规或会议纪要）",
        max_chars=300,
        key=f"{k}_basis",
        placeholder="如：浙民养〔2023〕12号",
    )
    a, b, c = st.columns(3)
    frequency = a.selectbox(
        "报送频次",
        list(reports.FREQUENCIES),
        index=2,
        format_func=reports.FREQUENCIES.get,
        key=f"{k}_freq",
    )
    period = b.text_input("统计期间", max_chars=60, key=f"{k}_period", placeholder="如：每月末时点")
    today = date.today()
    expires = c.date_input(
        "申请有效期至（最长 3 年）",
        value=today + timedelta(days=365),
        min_value=today + timedelta(days=1),
        max_value=admission.latest_expiry(today),
        key=f"{k}_expires",
    )
    a, b = st.columns([2, 3])
    with a:
        org = org_picker(scope, f"{k}_org")
    choices = _tag_choices(scope, entity)
    picked = b.multiselect(
        "人群（标签，可不选）",
        list(choices),
        format_func=choices.get,
        key=f"{k}_tags_{entity}",
        placeholder="选择标签，可不选",
        help="报表只列出同时带有这些标签的记录，如“高龄老人”；不选则为范围内全部记录。",
    )
    return admission.RequestMeta(
        title, purpose, basis, frequency, org, period, entity, expires, tuple(picked)
    )


def _field_options(entity: str) -> tuple[list[str], dict[str, str | None]]:
    """Selectbox labels and label → code for what a header may be: a field, a computed value,
    序号, or nothing the ledger holds."""
    labels = admission.field_labels(entity)
    derived = set(reports.DERIVED)
    seen: dict[str, int] = {}
    for name in labels.values():
        seen[name] = seen.get(name, 0) + 1
    to_code: dict[str, str | None] = {NOT_HELD: None, SEQ_LABEL: "seq"}
    for code, name in labels.items():
        label = f"{name}（计算）" if code in derived and seen[name] > 1 else name
        to_code[label] = code
    return list(to_code), to_code


def _label_of(code: str | None, to_code: dict[str, str | None]) -> str:
    return next((label for label, c in to_code.items() if c == code), NOT_HELD)


def _uploaded(
    scope: Scope, entity: str, k: str
) -> tuple[list[RequestedField] | None, admission.FormShape | None, int]:
    """The uploaded form's fields as the requester confirmed them, its shape, and how many
    headers still wait for confirmation."""
    upload = st.file_uploader("上传本部门的空白表样（.xlsx）", type=["xlsx"], key=f"{k}_file")
    if upload is None:
        return None, None, 0
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    cached = st.session_state.get(f"{k}_shapes")
    if not cached or cached[0] != digest:
        try:
            shapes, passed = admission.read_forms(data, upload.name)
        except admission.FormError as exc:
            st.error(str(exc))
            return None, None, 0
        st.session_state[f"{k}_shapes"] = (digest, shapes, passed)
    _, shapes, passed = st.session_state[f"{k}_shapes"]
    for label, reason in passed:
        st.caption(f"工作表“{literal(label)}”未读取：{literal(reason)}")
    shape = shapes[0]
    if len(shapes) > 1:
        names = [s.sheet for s in shapes]
        shape = shapes[names.index(st.selectbox("使用哪张工作表", names, key=f"{k}_sheet"))]
    st.caption(
        f"识别到表名“{literal(shape.title)}”，表头 {len(shape.columns)} 列。请逐行核对对应的标准字段。"
    )
    matches = admission.match_headers(shape.columns, entity, scope=scope)
    options, to_code = _field_options(entity)
    sure = ("exact", "remembered", "none")
    frame = pd.DataFrame(
        {  # the judgement last: on a phone the columns to edit stay in view
            "表头": shape.headers,
            "对应字段": [
                SEQ_LABEL if shape.is_seq(i) else _label_of(m.field, to_code)
                for i, m in enumerate(matches)
            ],
            "已确认": [m.status in sure or shape.is_seq(i) for i, m in enumerate(matches)],
            "系统判断": [m.reason for m in matches],
        }
    )
    edited = st.data_editor(
        frame,
        hide_index=True,
        disabled=["表头", "系统判断"],
        column_config={
            "对应字段": st.column_config.SelectboxColumn(
                "对应字段", options=options, required=True, width="medium"
            ),
            "已确认": st.column_config.CheckboxColumn(
                "已确认", help="系统拿不准的表头须您确认后才能提交"
            ),
            "系统判断": st.column_config.TextColumn("系统判断", width="large"),
        },
        key=f"{k}_editor_{digest[:8]}_{entity}",
        placeholder="",
    )
    unconfirmed = [shape.headers[i] for i, ok in enumerate(edited["已确认"]) if not ok]
    if unconfirmed:
        st.warning(
            f"还有 {len(unconfirmed)} 个表头待确认：{literal('、'.join(unconfirmed[:8]))}。"
            "请选择对应字段（或“台账没有”）并勾选“已确认”。",
            icon=":material/help:",
        )
    choices = {}
    for i, (label, m) in enumerate(zip(edited["对应字段"], matches, strict=True)):
        code = to_code.get(label)
        if code != m.field or m.status not in sure:
            choices[i] = code
    try:
        fields = admission.decide(matches, choices)
    except admission.AdmissionError as exc:
        st.error(str(exc))
        return None, shape, len(unconfirmed)
    return fields, shape, len(unconfirmed)


def _picked(entity: str, k: str) -> list[RequestedField]:
    labels = admission.field_labels(entity)
    codes = st.multiselect(
        "从字段标准中选择字段",
        list(labels),
        format_func=labels.get,
        key=f"{k}_picked_{entity}",
        placeholder="选择字段",
    )
    extra = st.text_input(
        "台账没有的其他字段（用顿号分隔）", key=f"{k}_extra", placeholder="如：血型、随访结果"
    )
    fields = admission.picked(entity, codes)
    for header in dict.fromkeys(h.strip() for h in extra.replace(",", "、").split("、")):
        if header:
            fields.append(RequestedField(header[:40], None, None, "confirmed", 0.0))
    return fields


def request_form(scope: Scope) -> None:
    """A new request: particulars, fields (an uploaded form or picked), the assessment, submit."""
    k = "adm_new"
    meta = _particulars(scope, k)
    how = st.radio(
        "申请的字段", ["上传本部门表样", "从字段标准中选择"], horizontal=True, key=f"{k}_how"
    )
    if how == "上传本部门表样":
        fields, shape, unconfirmed = _uploaded(scope, meta.entity, k)
    else:
        fields, shape, unconfirmed = _picked(meta.entity, k), None, 0
    if not fields:
        st.info("上传表样并确认各表头，或选择字段后，这里会显示自动评估。", icon=":material/info:")
        return
    st.subheader("自动评估")
    try:
        result = admission.preview(scope, meta, fields)
    except ERRORS as exc:
        st.error(str(exc))
        return
    assessment(result, key=k)
    if st.button(
        "提交申请",
        type="primary",
        icon=":material/send:",
        key=f"{k}_submit",
        disabled=unconfirmed > 0,
        help="还有表头待确认" if unconfirmed else None,
    ):
        try:
            request_id = admission.submit(scope, meta, fields, shape)
        except ERRORS as exc:
            st.error(str(exc))
            return
        for key in [key for key in st.session_state if key.startswith(f"{k}_")]:
            del st.session_state[key]
        flash(f"已提交第 {request_id} 号申请，等待区数据局审核。")
        st.rerun()


# ---------------------------------------------------------------------------------------------
# Lists and one request


def request_table(scope: Scope, states: list[str] | None, key: str) -> int | None:
    """The requests the caller may see, and the one chosen to open (a selectbox, which works
    the same on a phone)."""
    rows = admission.list_requests(scope, states)
    if not rows:
        st.info("暂无申请。", icon=":material/inbox:")
        return None
    st.dataframe(
        pd.DataFrame(
            {
                "编号": [r["id"] for r in rows],
                "报表名称": [r["title"] for r in rows],
                "部门": [r["department_name"] for r in rows],
                "类型": [r["kind_name"] for r in rows],
                "状态": [r["state_name"] for r in rows],
                "审核意见": [r["note"] or "" for r in rows],
                "覆盖率": [_pct(r["coverage"]) for r in rows],
                "更新时间": [r["updated_at"] for r in rows],
            }
        ),
        hide_index=True,
        key=f"{key}_table",
        column_config={"更新时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")},
        placeholder="",
    )
    by_id = {r["id"]: r for r in rows}
    return st.selectbox(
        "查看申请",
        list(by_id),
        format_func=lambda i: f"第 {i} 号 · {by_id[i]['title']} · {by_id[i]['state_name']}",
        index=None,
        placeholder="选择一份申请查看详情",
        key=f"{key}_pick",
    )


def _particulars_text(row: dict) -> None:
    org = catalog.org_label(row["org_code"])
    tag_names = {t["code"]: t["name"] for t in tags.tag_index()}
    group = "、".join(tag_names.get(t, t) for t in row["filter"]["tags"]["all"]) or "范围内全部"
    lines = [
        f"第 {row['id']} 号 · {row['kind_name']} · {row['department_name']} · 申请人 {row['requested_by']}",
        f"报表名称：{row['title']}",
        f"用途说明：{row['purpose']}",
        f"依据：{row['legal_basis']}",
        f"对象：{row['entity_name']}　人群：{group}　范围：{org}",
        f"频次：{row['frequency_name']}　统计期间：{row['period']}　申请有效期至：{row['expires_on']}",
    ]
    if row.get("form"):
        lines.append(f"表样：{row['form']['name']}（{len(row['form']['columns'])} 列）")
    st.text("\n".join(lines))


def _log(row: dict) -> None:
    st.markdown("**办理记录**")
    st.dataframe(
        pd.DataFrame(
            {
                "时间": [s["acted_at"] for s in row["steps"]],
                "办理人": [s["actor"] for s in row["steps"]],
                "环节": [s["action_name"] for s in row["steps"]],
                "结果": [s["state_name"] for s in row["steps"]],
                "意见或说明": [s["note"] or "" for s in row["steps"]],
            }
        ),
        hide_index=True,
        column_config={"时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")},
        key=f"adm_log_{row['id']}_{row['version']}",
        placeholder="",
    )


def request_detail(scope: Scope, request_id: int, *, review: bool) -> None:
    try:
        row = admission.get(scope, request_id)
        result = admission.assessment_of(scope, row)
    except ERRORS as exc:
        st.error(str(exc))
        return
    with st.container(border=True):
        st.markdown(
            f"#### {STATE_ICONS[row['state']]} {literal(row['title'])} · {row['state_name']}"
        )
        if row["note"]:
            st.text(f"审核意见：{row['note']}")
        _particulars_text(row)
        if (
            row["state"] in ("approved_new", "approved_existing", "renewed")
            and row["template_code"]
        ):
            st.page_link(
                "app_pages/reports.py",
                label="到报表中心生成这张报表",
                icon=":material/description:",
            )
        st.markdown("**自动评估**（按今天的台账与报表目录计算）")
        assessment(result, key=f"adm_detail_{request_id}")
        _log(row)
        if review and row["state"] == "submitted":
            review_form(scope, row, result)
        elif not review:
            requester_actions(scope, row)


def requester_actions(scope: Scope, row: dict) -> None:
    k = f"adm_req_{row['id']}"
    if row["state"] == "returned":
        st.markdown("**补充说明后重新提交**")
        answer = st.text_area("对审核意见的答复", max_chars=500, key=f"{k}_answer")
        a, b = st.columns(2)
        purpose = a.text_area(
            "用途说明（可修改）", row["purpose"], max_chars=500, key=f"{k}_purpose"
        )
        basis = b.text_area("依据（可修改）", row["legal_basis"], max_chars=300, key=f"{k}_basis")
        if st.button("重新提交", type="primary", key=f"{k}_resubmit"):
            try:
                admission.resubmit(
                    scope,
                    row["id"],
                    row["version"],
                    answer,
                    {"purpose": purpose, "legal_basis": basis},
                )
            except ERRORS as exc:
                st.error(str(exc))
                return
            flash(f"第 {row['id']} 号申请已重新提交。")
            st.rerun()
    if row["state"] in admission.OPEN_STATES and st.button("撤回申请", key=f"{k}_withdraw"):
        try:
            admission.withdraw(scope, row["id"], row["version"])
        except ERRORS as exc:
            st.error(str(exc))
            return
        flash(f"第 {row['id']} 号申请已撤回。")
        st.rerun()


# ---------------------------------------------------------------------------------------------
# The reviewer


_DECISIONS_NEW = ["批准为新报表", "使用现有报表", "退回补充", "不予通过"]
_DECISIONS_RENEWAL = ["批准续期", "不予通过"]


def review_form(scope: Scope, row: dict, result: Assessment) -> None:
    k = f"adm_rev_{row['id']}"
    st.markdown("**审核决定**")
    options = _DECISIONS_NEW if row["kind"] == "new" else _DECISIONS_RENEWAL
    decision = st.radio(
        "决定", options, horizontal=True, key=f"{k}_decision", label_visibility="collapsed"
    )
    note = ""
    chosen_code = None
    field_map = None
    if decision == "批准为新报表":
        defn = admission.new_template(scope, row, result)
        st.caption(
            f"将新建报表模板“{literal(defn['name'])}”（{defn['code']}），{reports.FREQUENCIES[defn['frequency']]}，"
            f"有效期至 {defn['valid_to']}；列：{literal('、'.join(c['header'] for c in defn['columns']))}。"
            "台账没有的列生成时留空待填。"
        )
        note = st.text_input("批准意见（可不填）", max_chars=500, key=f"{k}_note_new")
    elif decision == "使用现有报表":
        lists = [
            t
            for t in reports.templates(scope)
            if t["kind"] == "list" and t["entity"] == row["entity"]
        ]
        ranked = [o.code for o in result.overlaps] + [t["code"] for t in lists]
        by_code = {t["code"]: t for t in lists}
        codes = [c for c in dict.fromkeys(ranked) if c in by_code]
        if not codes:
            st.warning("没有同类对象的在用名册可供替代。")
            return
        shares = {o.code: o.share for o in result.overlaps}
        chosen_code = st.selectbox(
            "使用哪张现有报表",
            codes,
            format_func=lambda c: (
                f"{by_code[c]['name']}（{by_code[c]['department_name']}，重合 {shares.get(c, 0):.0%}）"
            ),
            key=f"{k}_existing",
        )
        proposed = admission.default_field_map(scope, row, chosen_code)
        columns = [c["header"] for c in by_code[chosen_code]["definition"]["columns"]]
        edited = st.data_editor(
            pd.DataFrame(
                {
                    "申请的字段": list(proposed),
                    "现有报表中的列": [v or "（无）" for v in proposed.values()],
                }
            ),
            hide_index=True,
            disabled=["申请的字段"],
            column_config={
                "现有报表中的列": st.column_config.SelectboxColumn(
                    options=["（无）", *columns], required=True
                )
            },
            key=f"{k}_map_{chosen_code}",
            placeholder="",
        )
        field_map = {
            h: (None if v == "（无）" else v)
            for h, v in zip(edited["申请的字段"], edited["现有报表中的列"], strict=True)
        }
        note = st.text_input("批准意见（可不填）", max_chars=500, key=f"{k}_note_existing")
    elif decision == "退回补充":
        note = st.text_area("需要申请部门补充或说明的问题", max_chars=500, key=f"{k}_questions")
    elif decision == "批准续期":
        st.caption(f"续期后有效期至 {min(row['expires_on'], admission.latest_expiry())}。")
        note = st.text_input("续期意见（可不填）", max_chars=500, key=f"{k}_note_renew")
    else:
        note = st.text_area("不予通过的理由", max_chars=500, key=f"{k}_reason")
    if st.button("确认审核决定", type="primary", icon=":material/gavel:", key=f"{k}_go"):
        try:
            if decision == "批准为新报表":
                code = admission.approve_new(scope, row["id"], row["version"], note)
                message = f"已批准，报表“{row['title']}”已进入报表目录（{code}）。"
            elif decision == "使用现有报表":
                admission.approve_existing(
                    scope, row["id"], row["version"], chosen_code, field_map, note
                )
                message = f"已批准第 {row['id']} 号申请使用现有报表。"
            elif decision == "退回补充":
                admission.return_request(scope, row["id"], row["version"], note)
                message = f"已退回第 {row['id']} 号申请。"
            elif decision == "批准续期":
                admission.renew(scope, row["id"], row["version"], note)
                message = f"已批准续期：{row['title']}。"
            else:
                admission.reject(scope, row["id"], row["version"], note)
                message = f"第 {row['id']} 号申请不予通过。"
        except ERRORS as exc:
            st.error(str(exc))
            return
        flash(message)
        st.rerun()


# ---------------------------------------------------------------------------------------------
# Expiry


def expiry(scope: Scope) -> None:
    rows = admission.expiring(scope)
    if not rows:
        st.success("没有已到期或 30 天内到期的报表。", icon=":material/event_available:")
        return
    for r in rows:
        k = f"adm_exp_{r['code']}"
        with st.container(border=True):
            when = (
                f"已于 {r['valid_to']} 到期，已停用"
                if r["expired"]
                else f"将于 {r['valid_to']} 到期（还剩 {r['days_left']} 天）"
            )
            st.markdown(f"**{literal(r['name'])}** · {literal(r['department_name'])} · {when}")
            if r["renewal_request"]:
                st.caption(f"续期申请第 {r['renewal_request']} 号审核中。")
                continue
            if scope.role != "dept_staff":
                st.caption("等待主管部门申请续期。")
                continue
            reason = st.text_input("续期理由", max_chars=500, key=f"{k}_reason")
            until = st.date_input(
                "续期至",
                value=date.today() + timedelta(days=365),
                min_value=date.today() + timedelta(days=1),
                max_value=admission.latest_expiry(),
                key=f"{k}_until",
            )
            if st.button("申请续期", key=f"{k}_go", icon=":material/update:"):
                try:
                    request_id = admission.request_renewal(scope, r["code"], reason, until)
                except ERRORS as exc:
                    st.error(str(exc))
                    continue
                flash(f"已提交续期申请第 {request_id} 号。")
                st.rerun()


# ---------------------------------------------------------------------------------------------
# The page and the home page


def page(scope: Scope) -> None:
    if scope.role == "dept_staff":
        new, mine, due = st.tabs(["提交申请", "本部门的申请", "到期与续期"])
        with new:
            request_form(scope)
        with mine:
            chosen = request_table(scope, None, "adm_mine")
            if chosen:
                request_detail(scope, chosen, review=False)
            else:
                st.caption("选择一份申请，查看办理情况、评估和审核意见。")
        with due:
            expiry(scope)
    else:
        pending, everything, due = st.tabs(["待审核", "全部申请", "到期与续期"])
        with pending:
            chosen = request_table(scope, ["submitted"], "adm_pending")
            if chosen:
                request_detail(scope, chosen, review=True)
            else:
                st.caption("选择一份申请，对照自动评估和现有报表的重合情况作出审核决定。")
        with everything:
            chosen = request_table(scope, None, "adm_all")
            if chosen:
                request_detail(scope, chosen, review=False)
        with due:
            expiry(scope)


def home_panel(scope: Scope) -> None:
    """Requests and expiry reminders for department staff; the figures for the admin."""
    if scope.role == "dept_staff" and scope.department:
        st.subheader("报表申请与到期提醒")
        for r in admission.expiring(scope):
            text = (
                f"报表“{literal(r['name'])}”已于 {r['valid_to']} 到期，已停用"
                if r["expired"]
                else f"报表“{literal(r['name'])}”将于 {r['valid_to']} 到期（还剩 {r['days_left']} 天）"
            )
            text += "，续期申请审核中。" if r["renewal_request"] else "，如仍需使用请申请续期。"
            (st.error if r["expired"] else st.warning)(text, icon=":material/event_busy:")
        for r in admission.list_requests(scope, limit=5):
            line = f"{STATE_ICONS[r['state']]} 第 {r['id']} 号 **{literal(r['title'])}** · {r['state_name']}"
            if r["note"]:
                line += f"　意见：{literal(r['note'])}"
            st.markdown(line)
        st.page_link(
            "app_pages/admission.py",
            label="报表准入：提交新申请、查看办理情况",
            icon=":material/fact_check:",
        )
    elif scope.role == "district_admin":
        f = admission.figures()
        st.subheader("报表准入")
        a, b, c, d = st.columns(4)
        a.metric("待审核申请", f"{f['pending']}", border=True)
        b.metric("收到 / 批准新建", f"{f['received']} / {f['approved']}", border=True)
        c.metric("并入现有 / 不予通过", f"{f['merged']} / {f['rejected']}", border=True)
        d.metric(
            "在用 / 到期停用模板",
            f"{f['templates_active']} / {f['templates_retired']}",
            border=True,
        )
        st.caption(
            f"30 天内到期 {f['templates_expiring']} 张；表单归并 {f['piles']} 批共 {f['forms_consolidated']:,} 张表，"
            f"{f['headers_consolidated']:,} 个表头合并后省去 {f['fields_saved']:,} 个重复字段。"
        )
        st.page_link(
            "app_pages/admission.py", label="报表准入：审核申请", icon=":material/fact_check:"
        )
