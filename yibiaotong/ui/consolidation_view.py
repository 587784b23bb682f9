"""表单归并 widgets: upload a pile (a job), then the reduction, the consolidated field list, the
forms one by one, the headers to confirm, the clusters to add to the standard, the templates and
the export. Header texts come from uploaded files: they are shown in tables or escaped."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pandas as pd
import streamlit as st

from yibiaotong import admission, catalog, jobs, mapping, reports, tags
from yibiaotong.admission import consolidation
from yibiaotong.admission.standard import NEW_FIELD_TYPES, SENSITIVITIES
from yibiaotong.scope import AccessDenied, Scope
from yibiaotong.ui import job_view
from yibiaotong.ui.markdown import literal
from yibiaotong.ui.shell import flash

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS = (admission.AdmissionError, AccessDenied, reports.ReportError)
NOT_STANDARD = "（不是标准字段）"
AUTO = "__auto__"
CLUSTERS_SHOWN = 30


def upload(scope: Scope) -> None:
    """Start a consolidation job from several .xlsx files or one .zip."""
    departments = catalog.departments()
    with st.form("cf_upload", clear_on_submit=False, border=True):
        files = st.file_uploader(
            "选择表单：多个 .xlsx 文件，或一个 .zip 压缩包（可含文件夹）",
            type=["xlsx", "zip"],
            accept_multiple_files=True,
            key="cf_files",
        )
        a, b = st.columns([3, 2])
        name = a.text_input(
            "这批表单的名称",
            max_chars=60,
            placeholder="如：闸弄口街道 2026 年表单梳理",
            key="cf_name",
        )
        department = b.selectbox(
            "所属部门（文件夹或表名看不出时使用）",
            [AUTO, *departments],
            format_func=lambda c: "按文件夹、表名判断" if c == AUTO else departments[c],
            key="cf_dept",
        )
        go = st.form_submit_button("开始归并", type="primary", icon=":material/merge:")
    if go:
        if not files:
            st.error("请先选择 .xlsx 表单或 .zip 压缩包。")
        else:
            payload = [(f.name, f.getvalue()) for f in files]
            job_view.start(
                scope,
                "consolidate_forms",
                "cf_job",
                name=name,
                department=None if department == AUTO else department,
                files=payload,
            )
    job_id = st.session_state.get("cf_job")
    if job_id:
        job_view.panel(scope, job_id, key="cf_job_panel")
        try:
            row = jobs.get(scope, job_id)
        except jobs.JobError:
            return
        if row["state"] == "done" and (row["result"] or {}).get("pile_id"):
            unread = row["result"].get("unread") or []
            if unread:
                with st.expander(f"未读取的文件或工作表（{len(unread)}）"):
                    st.dataframe(
                        pd.DataFrame(unread, columns=["文件", "原因"]),
                        placeholder="",
                        hide_index=True,
                    )
            st.session_state["cf_pile"] = row["result"]["pile_id"]


def pick_pile(scope: Scope) -> int | None:
    piles = consolidation.piles(scope)
    if not piles:
        return None
    by_id = {p["id"]: p for p in piles}
    if st.session_state.get("cf_pile") not in by_id:
        st.session_state["cf_pile"] = piles[0]["id"]
    return st.selectbox(
        "归并批次",
        list(by_id),
        format_func=lambda i: (
            f"第 {i} 批 · {by_id[i]['name']} · {by_id[i]['forms']} 张表 · {by_id[i]['created_at']:%Y-%m-%d}"
        ),
        key="cf_pile",
    )


def reduction(result: consolidation.Consolidation) -> None:
    a, b, c, d = st.columns(4)
    a.metric("表单", f"{len(result.forms):,} 张", border=True)
    b.metric("表头", f"{result.headers:,} 个", help="各表的列数之和，不含序号", border=True)
    c.metric(
        "不同字段",
        f"{result.distinct:,} 个",
        delta=f"-{result.headers - result.distinct:,} 个重复",
        delta_color="inverse",
        border=True,
    )
    d.metric(
        "台账已有", f"{result.in_ledger:,} 个", help="这些字段由台账一键生成，不必再填", border=True
    )
    st.success(literal(result.reduction()), icon=":material/merge:")
    suggested = sum(u.suggested for u in result.fields)
    if result.pending or suggested:
        st.caption(
            f"其中 {len(result.pending)} 种表头的对应是系统建议，待您在“待确认”中确认；"
            "确认或纳入字段标准后，上面的数字随之更新。"
        )


def field_list(result: consolidation.Consolidation) -> None:
    st.dataframe(
        pd.DataFrame(
            {
                "字段": [u.label for u in result.fields],
                "使用表数": [len(u.forms) for u in result.fields],
                "台账已有": ["是" if u.in_ledger else "否（他人信息）" for u in result.fields],
                "各表写法（次数）": [
                    "；".join(f"{h}（{n}）" for h, n in u.headers.most_common())
                    for u in result.fields
                ],
                "待确认": [u.suggested or "" for u in result.fields],
            }
        ),
        placeholder="",
        hide_index=True,
        column_config={
            "使用表数": st.column_config.ProgressColumn(
                min_value=0, max_value=max(len(result.forms), 1), format="%d"
            )
        },
        key="cf_fields",
    )


def forms(scope: Scope, result: consolidation.Consolidation) -> None:
    by_seq = {f.seq: f for f in result.forms}
    seq = st.selectbox(
        "表单",
        list(by_seq),
        format_func=lambda s: f"{by_seq[s].name}（{by_seq[s].department_name or '部门未定'}）",
        key="cf_form",
    )
    form = by_seq[seq]
    st.text(
        f"表名：{form.title}\n表尾：{'、'.join(form.shape.footer) or '—'}\n表下说明：{'；'.join(form.shape.notes) or '—'}"
    )
    departments = catalog.departments()
    a, b, c = st.columns([2, 2, 1])
    entity = a.selectbox(
        "对象（一行是什么）",
        list(catalog.ENTITY_NAMES),
        index=list(catalog.ENTITY_NAMES).index(form.entity),
        format_func=catalog.ENTITY_NAMES.get,
        key=f"cf_entity_{seq}",
    )
    options = [AUTO, *departments]
    department = b.selectbox(
        "部门",
        options,
        index=options.index(form.department) if form.department in departments else 0,
        format_func=lambda d: "未定" if d == AUTO else departments[d],
        key=f"cf_department_{seq}",
    )
    department = None if department == AUTO else department
    c.write("")
    if c.button(
        "保存",
        key=f"cf_save_{seq}",
        disabled=(entity, department) == (form.entity, form.department),
    ):
        try:
            consolidation.set_form(scope, result.pile["id"], seq, entity, department)
        except ERRORS as exc:
            st.error(str(exc))
            return
        flash("已更新该表的对象和部门。")
        st.rerun()
    st.dataframe(
        pd.DataFrame(
            {
                "列": list(range(1, len(form.matches) + 1)),
                "表头": form.shape.headers,
                "对应字段": [
                    mapping.field_label(m.field) if m.field else "—" for m in form.matches
                ],
                "匹配": [mapping.STATUS_NAMES.get(m.status, m.status) for m in form.matches],
                "置信度": [
                    round(m.candidates[0].score) if m.candidates else None for m in form.matches
                ],
                "说明": [m.reason for m in form.matches],
            }
        ),
        placeholder="",
        hide_index=True,
        key=f"cf_form_table_{seq}",
    )


def pending(scope: Scope, result: consolidation.Consolidation) -> None:
    if not result.pending:
        st.success("没有待确认的表头。", icon=":material/task_alt:")
        return
    st.caption(
        "系统拿不准的表头：每种写法确认一次，对这批中所有出现它的表生效，并记住供“套用本单位表样”使用。"
    )
    labels: dict[str, dict[str, str]] = {e: mapping.labels(e) for e in catalog.ENTITY_NAMES}
    options = [NOT_STANDARD] + sorted({label for ls in labels.values() for label in ls.values()})
    frame = pd.DataFrame(
        {
            "表头": [p.text or p.header for p in result.pending],
            "对象": [catalog.ENTITY_NAMES[p.entity] for p in result.pending],
            "出现": [len(p.occurrences) for p in result.pending],
            "候选": [
                "、".join(f"{mapping.field_label(c)}（{s:.0f}）" for c, s, _ in p.candidates[:3])
                for p in result.pending
            ],
            "确认为": [
                labels[p.entity].get(p.suggestion, NOT_STANDARD) if p.suggestion else NOT_STANDARD
                for p in result.pending
            ],
            "确认": [False] * len(result.pending),
        }
    )
    edited = st.data_editor(
        frame,
        placeholder="",
        hide_index=True,
        disabled=["表头", "对象", "出现", "候选"],
        column_config={
            "确认为": st.column_config.SelectboxColumn(
                options=options, required=True, width="medium"
            ),
            "确认": st.column_config.CheckboxColumn(help="勾选要保存的行"),
        },
        key=f"cf_pending_{result.pile['id']}_{len(result.pending)}",
    )
    if st.button("保存确认", type="primary", key="cf_confirm", disabled=not edited["确认"].any()):
        decisions = {}
        for p, label, ok in zip(result.pending, edited["确认为"], edited["确认"], strict=True):
            if not ok:
                continue
            by_label = {v: k for k, v in labels[p.entity].items()}
            if label != NOT_STANDARD and label not in by_label:
                st.error(f"“{literal(label)}”不是{catalog.ENTITY_NAMES[p.entity]}的字段。")
                return
            decisions[(p.header, p.entity)] = by_label.get(label)
        try:
            n = consolidation.confirm(scope, result.pile["id"], decisions)
        except ERRORS as exc:
            st.error(str(exc))
            return
        flash(f"已确认 {n} 种表头。")
        st.rerun()


def clusters(scope: Scope, result: consolidation.Consolidation) -> None:
    if not result.clusters:
        st.success("所有表头都已对应到字段标准。", icon=":material/task_alt:")
        return
    st.caption(
        f"字段标准中没有的表头，按相似度聚成 {len(result.clusters)} 组（同一张表里的两列不会并为一组）。"
        "纳入后，这些写法成为字段的同义词；新字段保存在记录的扩展属性中，社工可在台账中填写。"
    )
    own_fields = {
        e: {f["code"]: f["name"] for f in catalog.field_defs(e)} for e in catalog.ENTITY_NAMES
    }
    for c in result.clusters[:CLUSTERS_SHOWN]:
        k = f"cf_cl_{result.pile['id']}_{hashlib.md5(c.key.encode()).hexdigest()[:10]}"
        spellings = "、".join(c.headers)
        with st.expander(
            f"{literal(c.propose_name)} · {len(c.headers)} 种写法 · {len(c.forms)} 张表 · "
            f"{catalog.ENTITY_NAMES[c.entity]}"
        ):
            st.text(f"写法：{spellings}\n建议：{c.why}")
            chosen = st.multiselect(
                "纳入的写法", list(c.headers), default=list(c.headers), key=f"{k}_headers"
            )
            how = st.radio(
                "纳入方式",
                ["新增字段", "作为现有字段的同义词"],
                index=1 if c.propose_field else 0,
                horizontal=True,
                key=f"{k}_how",
            )
            labels = own_fields[c.entity]
            if how == "新增字段":
                a, b, d = st.columns(3)
                name = a.text_input("字段名称", c.propose_name[:20], max_chars=20, key=f"{k}_name")
                kinds = list(NEW_FIELD_TYPES)
                data_type = b.selectbox(
                    "类型",
                    kinds,
                    index=kinds.index(c.propose_type),
                    format_func=NEW_FIELD_TYPES.get,
                    key=f"{k}_type",
                )
                levels = list(SENSITIVITIES)
                sensitivity = d.selectbox(
                    "敏感级别",
                    levels,
                    index=levels.index(c.propose_sensitivity),
                    format_func=SENSITIVITIES.get,
                    key=f"{k}_sens",
                )
                field = None
            else:
                codes = list(labels)
                field = st.selectbox(
                    "现有字段",
                    codes,
                    index=codes.index(c.propose_field) if c.propose_field in codes else 0,
                    format_func=labels.get,
                    key=f"{k}_field",
                )
                name, data_type, sensitivity = "", "text", "internal"
            if st.button("纳入字段标准", key=f"{k}_go", icon=":material/playlist_add:"):
                try:
                    code = consolidation.accept_cluster(
                        scope,
                        result.pile["id"],
                        c.key,
                        chosen,
                        field=field,
                        name=name,
                        data_type=data_type,
                        sensitivity=sensitivity,
                    )
                except ERRORS as exc:
                    st.error(str(exc))
                    continue
                flash(f"已纳入字段标准：{code}")
                st.rerun()
    if len(result.clusters) > CLUSTERS_SHOWN:
        st.caption(
            f"另有 {len(result.clusters) - CLUSTERS_SHOWN} 组只出现在个别表中，见导出的 Excel。"
        )


def templates(scope: Scope, result: consolidation.Consolidation) -> None:
    plans = consolidation.plan_templates(scope, result.pile["id"])
    tag_names = {t["code"]: t["name"] for t in tags.tag_index()}
    departments = catalog.departments()
    frame = pd.DataFrame(
        {
            "生成": [p.definition is not None for p in plans],
            "表单": [p.name for p in plans],
            "模板名称": [p.definition["name"] if p.definition else "" for p in plans],
            "部门": [
                departments.get(p.definition["department"], "") if p.definition else ""
                for p in plans
            ],
            "频次": [
                reports.FREQUENCIES[p.definition["frequency"]] if p.definition else ""
                for p in plans
            ],
            "人群标签": [
                "、".join(tag_names.get(t, t) for t in p.definition["filter"]["tags"]["all"])
                if p.definition
                else ""
                for p in plans
            ],
            "列数": [len(p.definition["columns"]) if p.definition else None for p in plans],
            "说明": [p.problem or "；".join(p.notes) for p in plans],
        }
    )
    st.caption(
        "每张表生成一个报表模板：表名、列的顺序和写法、上级表头、序号、表尾签字栏和注，都照原表；台账有的列一键填好，其余留空待填；有效期 3 年。"
    )
    edited = st.data_editor(
        frame,
        placeholder="",
        hide_index=True,
        disabled=[c for c in frame.columns if c != "生成"],
        key=f"cf_plans_{result.pile['id']}",
    )
    chosen = [
        p.seq
        for p, on in zip(plans, edited["生成"], strict=True)
        if on and p.definition is not None
    ]
    if st.button(
        f"为选中的 {len(chosen)} 张表生成报表模板",
        type="primary",
        key="cf_make",
        disabled=not chosen,
        icon=":material/note_add:",
    ):
        try:
            created, refused = consolidation.create_templates(scope, result.pile["id"], chosen)
        except ERRORS as exc:
            st.error(str(exc))
            return
        flash(
            f"已生成 {len(created)} 个报表模板"
            + (f"，{len(refused)} 张未生成" if refused else "")
            + "。"
        )
        st.rerun()


def export(scope: Scope, result: consolidation.Consolidation) -> None:
    st.download_button(
        "导出归并结果（Excel）",
        data=lambda: consolidation.export_xlsx(scope, result.pile["id"]),
        file_name=f"表单归并_第{result.pile['id']}批_{datetime.now():%Y%m%d}.xlsx",
        mime=XLSX_MIME,
        icon=":material/download:",
        key="cf_export",
    )
    if result.skipped:
        st.markdown("**未读取的文件或工作表**")
        st.dataframe(
            pd.DataFrame(
                {
                    "文件": [r["file_name"] for r in result.skipped],
                    "原因": [r["reason"] for r in result.skipped],
                }
            ),
            placeholder="",
            hide_index=True,
            key="cf_skipped",
        )


def page(scope: Scope) -> None:
    with st.expander("新的归并：上传一批表单", expanded=not consolidation.piles(scope)):
        upload(scope)
    pile_id = pick_pile(scope)
    if pile_id is None:
        st.info(
            "还没有归并过表单。上传一个部门或一个街道的表单，系统会拆出字段、合并成一张字段清单。",
            icon=":material/info:",
        )
        return
    try:
        result = consolidation.load(scope, pile_id)
    except ERRORS as exc:
        st.error(str(exc))
        return
    reduction(result)
    tabs = st.tabs(
        [
            "合并字段清单",
            "各表明细",
            f"待确认（{len(result.pending)}）",
            f"未对应表头（{len(result.clusters)}）",
            "生成模板",
            "导出",
        ]
    )
    with tabs[0]:
        field_list(result)
    with tabs[1]:
        forms(scope, result)
    with tabs[2]:
        pending(scope, result)
    with tabs[3]:
        clusters(scope, result)
    with tabs[4]:
        templates(scope, result)
    with tabs[5]:
        export(scope, result)
