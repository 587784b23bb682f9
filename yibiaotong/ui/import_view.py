"""数据回流 widgets: upload → file as read → mapping editor → preview → confirm; the conflict
review and 待落地 queues; the import log with reject reports and undo."""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from yibiaotong import catalog, jobs, masking
from yibiaotong.importing import batches, reader, rejects, review, sources, stage
from yibiaotong.importing.batches import ImportError_
from yibiaotong.scope import AccessDenied, Scope
from yibiaotong.ui import job_view
from yibiaotong.ui.markdown import literal
from yibiaotong.ui.shell import flash

NOT_MAPPED = "（不导入）"
BATCH_KEY = "imp_batch"
JOB_KEY = "imp_job"
PAGE = 20
ACTION_ORDER = (
    "insert",
    "update",
    "unchanged",
    "conflict",
    "unplaced",
    "hold",
    "reject",
    "outside",
    "duplicate",
)
CHANGE_KINDS = {
    "apply": "将更新",
    "conflict": "同级来源冲突（待审核）",
    "identity": "姓名不符（待审核）",
    "lower": "低优先级（记录，不采用）",
}


def _error(exc: Exception) -> None:
    st.error(literal(exc), icon=":material/error:")


# ---------------------------------------------------------------- upload and read


def upload_form(scope: Scope) -> None:
    """Choose the source and the file; a readable file becomes a batch in the log."""
    choices = {s.code: s for s in sources.sources(importable_only=True)}
    with st.form("imp_upload", border=True):
        code = st.selectbox(
            "数据来源",
            list(choices),
            format_func=lambda c: f"{choices[c].name}（{choices[c].department_name or '街道'}）",
            key="imp_source",
        )
        units = catalog.org_units_under(scope.org_code)
        labels = catalog.org_labels(scope.org_code)
        default_org = st.selectbox(
            "找不到所属网格时，落到",
            [None, *[u["code"] for u in units if u["level"] in ("community", "grid")]],
            format_func=lambda c: "不指定（进入待落地，由人工确认）" if c is None else labels[c],
            key="imp_default_org",
        )
        file = st.file_uploader(
            "回流文件（CSV、XLSX、XLS）", type=["csv", "txt", "xlsx", "xls"], key="imp_file"
        )
        submitted = st.form_submit_button("读取文件", type="primary", icon=":material/upload_file:")
    if submitted:
        if file is None:
            st.warning("请先选择文件。")
            return
        try:
            batch_id, result = stage.upload(scope, file, file.name, code, default_org)
        except (ImportError_, AccessDenied) as exc:
            _error(exc)
            return
        st.session_state[BATCH_KEY] = batch_id
        _keep_read(batch_id, {}, result)
        st.rerun()


def _masked_sample(scope: Scope, values: list[str]) -> str:
    shown = [v for v in values if v][:3]
    if not scope.clearance:
        shown = [masking.mask_value("text", v) for v in shown]
    return "、".join(s.replace("\n", " ")[:20] for s in shown)


def _read(scope: Scope, batch_id: str, overrides: dict) -> stage.ReadResult:
    """The file as read, once per batch and overrides in a session: every choice in the editor
    reruns the page, and reading a large workbook takes seconds."""
    cached = st.session_state.get("imp_read")
    if cached is None or cached[0] != _read_key(batch_id, overrides):
        return _keep_read(batch_id, overrides, stage.read(scope, batch_id, **overrides))
    return cached[1]


def _read_key(batch_id: str, overrides: dict) -> tuple:
    return batch_id, tuple(sorted(overrides.items()))


def _keep_read(batch_id: str, overrides: dict, result: stage.ReadResult) -> stage.ReadResult:
    result.info.workbook = None  # the loaded sheet stays out of the session
    st.session_state["imp_read"] = (_read_key(batch_id, overrides), result)
    return result


def mapping_editor(scope: Scope, batch: dict) -> None:
    """The file as read (overridable), every column with samples and the proposed field, editable."""
    overrides = st.session_state.setdefault(f"imp_over_{batch['id']}", {})
    try:
        result = _read(scope, batch["id"], overrides)
    except ImportError_ as exc:
        _error(exc)
        overrides.clear()
        return
    info = result.info
    st.caption(f"文件：{literal(batch['file_name'])} · {literal(info.describe())}")
    with st.expander("编码、分隔符、工作表（识别有误时更改）"):
        cols = st.columns(3)
        if info.kind == "csv":
            encodings = list(reader.ENCODINGS)
            enc = cols[0].selectbox(
                "文件编码",
                encodings,
                index=encodings.index(info.encoding),
                format_func=reader.ENCODINGS.get,
                key=f"imp_enc_{batch['id']}",
            )
            delims = list(reader.DELIMITERS)
            delim = cols[1].selectbox(
                "分隔符",
                delims,
                index=delims.index(info.delimiter) if info.delimiter in delims else 0,
                format_func=reader.DELIMITERS.get,
                key=f"imp_delim_{batch['id']}",
            )
            new = {"encoding": enc, "delimiter": delim}
        else:
            sheet = cols[0].selectbox(
                "工作表",
                info.sheets,
                index=info.sheets.index(info.sheet),
                key=f"imp_sheet_{batch['id']}",
            )
            new = {"sheet": sheet}
        if cols[2].button("重新读取", key=f"imp_reread_{batch['id']}"):
            overrides.clear()
            overrides.update(new)
            st.rerun()
    labels = {NOT_MAPPED: None, **{label: target for target, label in result.targets.items()}}
    by_target = {t: label for label, t in labels.items()}
    st.markdown(
        "**字段对应**：逐列确认；标“请选择”的列须人工指定，不导入的列可选“保留为附加信息”。"
    )
    chosen: dict[int, str | None] = {}
    for c in result.columns:
        with st.container(border=True):
            left, right = st.columns([2, 3], vertical_alignment="center")
            name = c.header or f"第{c.index + 1}列"
            left.markdown(f"**{literal(name)}**")
            left.caption(f"例：{literal(_masked_sample(scope, c.samples)) or '（空）'}")
            label = right.selectbox(
                f"“{literal(name)}”对应",
                list(labels),
                index=list(labels).index(by_target.get(c.target, NOT_MAPPED)),
                key=f"imp_map_{batch['id']}_{c.index}",
                label_visibility="collapsed",
            )
            right.caption(literal(_status(c)))
            chosen[c.index] = labels[label]
    unmapped = [c.header or f"第{c.index + 1}列" for c in result.columns if chosen[c.index] is None]
    if unmapped:
        st.caption("不导入的列：" + "、".join(literal(u) for u in unmapped))
    src = sources.source(batch["source"])
    roster = None
    if src and src.tags:
        tag_names = {t["code"]: t["name"] for t in catalog.tag_tree()}
        roster = st.selectbox(
            "名册模式",
            [None, *src.tags],
            format_func=lambda t: (
                "不是完整名册"
                if t is None
                else f"本文件是完整的“{tag_names.get(t, t)}”名册（名册外的人结束该标签）"
            ),
            key=f"imp_roster_{batch['id']}",
        )
    if st.button(
        "预览", type="primary", icon=":material/preview:", key=f"imp_preview_{batch['id']}"
    ):
        started = job_view.start(
            scope,
            "import_preview",
            JOB_KEY,
            batch_id=batch["id"],
            chosen={str(i): t for i, t in chosen.items()},
            roster_tag=roster,
            **overrides,
        )
        if started:
            st.rerun()


def _status(column: stage.Column) -> str:
    from yibiaotong import mapping

    names = getattr(mapping, "STATUS_NAMES", {})
    status = column.match.status if column.match else "none"
    text = names.get(status, status)
    note = column.note or (column.match.reason if column.match else "")
    return f"{text}：{note}" if note else text


# ---------------------------------------------------------------- preview


def preview_panel(scope: Scope, batch: dict) -> None:
    summary = stage.summary(scope, batch["id"])
    counts = summary.actions
    st.subheader("预览：确认后才会写入台账")
    metrics = st.container(horizontal=True, gap="small")
    for action in ACTION_ORDER:
        if counts.get(action):
            metrics.metric(stage.ACTIONS[action], f"{counts[action]:,}", width="content")
    share = summary.auto_placed_share
    if share is not None:
        metrics.metric("自动落地", f"{share:.0%}", width="content")
    details = []
    for kind, n in summary.changes.items():
        details.append(f"{CHANGE_KINDS.get(kind, kind)} {n:,} 项")
    for action, n in summary.tags.items():
        details.append(f"{'设置' if action == 'set' else '结束'}标签 {n:,} 人")
    households = summary.households
    if households.get("no") or households.get("head"):
        details.append(f"新建户 {households.get('no', 0) + households.get('head', 0):,} 户")
    if households.get("hh_rows"):
        details.append(f"加入已有户 {households['hh_rows']:,} 人")
    if details:
        st.markdown("；".join(details))
    rules = {k: v for k, v in summary.rules.items() if v}
    if rules:
        st.caption("清洗：" + "，".join(f"{stage.RULES.get(k, k)} {v:,}" for k, v in rules.items()))
    if households.get("addr"):
        st.checkbox(
            f"按共同住址和户主行组成 {households['addr']:,} 户（{households.get('addr_rows', 0):,} 人）",
            key=f"imp_addr_{batch['id']}",
            help="文件没有户号时，同一地址且只有一位“户主”的新居民被建议组成一户；不勾选则不组户。",
        )
    samples = summary.samples
    changes = [
        r
        for k in ("change:apply", "change:conflict", "change:identity", "change:lower")
        for r in samples.get(k, [])
    ]
    if changes:
        st.markdown("**字段变化示例**")
        st.dataframe(
            [
                {
                    "行": r["row_no"],
                    "字段": r["field_name"],
                    "原值": r["old_value"] or "",
                    "新值": r["new_value"] or "",
                    "原值来源": r["old_source_name"] or "",
                    "处理": CHANGE_KINDS.get(r["kind"], r["kind"]),
                }
                for r in changes
            ],
            hide_index=True,
            placeholder="",
        )
    refused = [r for k in ("reject", "hold", "outside", "unplaced") for r in samples.get(k, [])]
    if refused:
        st.markdown("**未写入的行示例**")
        st.dataframe(
            [
                {
                    "行": r["row_no"],
                    "处理": stage.ACTIONS[r["action"]],
                    "原因": r["reason"] or "见拒绝清单",
                }
                for r in refused
            ],
            hide_index=True,
            placeholder="",
        )
    cols = st.columns(3)
    reject_download(scope, batch, cols[0])
    if cols[1].button(
        "确认写入", type="primary", icon=":material/task_alt:", key=f"imp_commit_{batch['id']}"
    ):
        st.session_state["imp_confirm"] = batch["id"]
    if cols[2].button("放弃本批", key=f"imp_discard_{batch['id']}"):
        batches.discard(scope, batch["id"])
        st.session_state.pop(BATCH_KEY, None)
        flash("已放弃该批次，台账未改动。")
        st.rerun()
    if st.session_state.get("imp_confirm") == batch["id"]:
        confirm_commit(scope, batch["id"])


@st.dialog("确认写入台账")
def confirm_commit(scope: Scope, batch_id: str) -> None:
    summary = stage.summary(scope, batch_id)
    a = summary.actions
    st.write(
        f"将新增 {a.get('insert', 0):,} 条、更新 {a.get('update', 0):,} 条；"
        f"{a.get('conflict', 0):,} 条冲突进入审核，{a.get('unplaced', 0):,} 条进入待落地。"
        "写入在一个事务中完成，整批可撤销。"
    )
    if st.button("确认写入", type="primary", key="imp_commit_go"):
        started = job_view.start(
            scope,
            "import_commit",
            JOB_KEY,
            batch_id=batch_id,
            with_address_households=bool(st.session_state.get(f"imp_addr_{batch_id}")),
        )
        if started:
            st.session_state.pop("imp_confirm", None)
            st.session_state.pop(BATCH_KEY, None)
            st.rerun()


def reject_download(scope: Scope, batch: dict, where) -> None:
    """A button that builds the reject report, then the download of it."""
    n = (batch.get("counts") or {}).get("rejects")
    if not n:
        return
    flag = f"imp_rej_{batch['id']}"
    if not st.session_state.get(flag):
        if where.button(f"生成拒绝清单（{n:,} 行）", key=f"imp_rejbtn_{batch['id']}"):
            st.session_state[flag] = True
            st.rerun()
        return
    out = io.BytesIO()
    rejects.write_report(scope, batch["id"], out)
    where.download_button(
        f"下载拒绝清单（{n:,} 行）",
        out.getvalue(),
        file_name=f"拒绝清单-{batch['file_name'].rsplit('.', 1)[0]}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"imp_rejdl_{batch['id']}",
        icon=":material/download:",
    )


def current_batch(scope: Scope) -> None:
    """The batch being worked on: its mapping until previewed, then the preview."""
    batch_id = st.session_state.get(BATCH_KEY)
    if not batch_id:
        upload_form(scope)
        return
    try:
        batch = batches.get(scope, batch_id)
    except AccessDenied:
        st.session_state.pop(BATCH_KEY, None)
        st.rerun()
    if st.button("换一个文件", icon=":material/arrow_back:", key="imp_back"):
        st.session_state.pop(BATCH_KEY, None)
        st.rerun()
    if batch["state"] in ("landed", "read", "failed"):
        mapping_editor(scope, batch)
    elif batch["state"] == "previewed":
        with st.expander("字段对应（修改后重新预览）"):
            mapping_editor(scope, batch)
        preview_panel(scope, batch)
    else:
        st.info(
            f"该批次状态为“{batches.STATES.get(batch['state'], batch['state'])}”，请在导入日志中查看。"
        )


# ---------------------------------------------------------------- queues


def conflict_queue(scope: Scope) -> None:
    page = st.session_state.get("imp_conf_page", 1)
    rows, total = review.conflicts(scope, limit=PAGE, offset=(page - 1) * PAGE)
    if not total:
        st.info("没有待审核的冲突。")
        return
    st.caption(f"共 {total:,} 项待审核：左为台账现值，右为回流新值。")
    for row in rows:
        with st.container(border=True):
            st.markdown(
                f"**{literal(row['field_name'])}** · {row['kind_name']} · 记录 {row['entity_id']} · "
                f"{literal((row['place'] or '').split('/')[-1])}"
            )
            left, right = st.columns(2)
            left.caption(f"台账现值（{literal(row['current_source_name'])}）")
            left.text(row["current_value"] or "（空）")
            right.caption(
                f"回流新值（{literal(row['incoming_source_name'])}，{literal(row['file_name'])}）"
            )
            right.text(row["incoming_value"] or "（空）")
            b1, b2 = st.columns(2)
            if b1.button("采用新值", key=f"imp_take_{row['id']}", type="primary"):
                _decide(scope, row["id"], True)
            if b2.button("保留原值", key=f"imp_keep_{row['id']}"):
                _decide(scope, row["id"], False)
    pages = -(-total // PAGE)
    if pages > 1:
        st.pagination(pages, key="imp_conf_page")


def _decide(scope: Scope, conflict_id: str, take: bool) -> None:
    try:
        review.decide(scope, conflict_id, take)
    except (ImportError_, AccessDenied) as exc:
        _error(exc)
        return
    flash("已采用新值，记入历史。" if take else "已保留原值，决定已记录。")
    st.rerun()


def unplaced_queue(scope: Scope) -> None:
    rows, total = review.unplaced(scope, limit=PAGE)
    if not total:
        st.info("没有待落地的记录。")
        return
    st.caption(f"共 {total:,} 行无法确定所属网格，请为每行选择网格。")
    grids = [u["code"] for u in catalog.org_units_under(scope.org_code, level="grid")]
    labels = catalog.org_labels(scope.org_code)
    for row in rows:
        with st.container(border=True):
            st.markdown(
                f"**{literal(row['label']) or '（无名称）'}** · {literal(row['source_name'])} · "
                f"{literal(row['file_name'])} 第 {row['row_no']} 行"
            )
            if row["address"]:
                st.caption(f"地址/单位：{literal(row['address'])}")
            options = list(dict.fromkeys([*row["candidates"], *grids]))
            choice = st.selectbox(
                "所属网格",
                options,
                format_func=lambda c, cands=set(row["candidates"]): (
                    ("★ " if c in cands else "") + (labels.get(c) or catalog.org_label(c))
                ),
                key=f"imp_place_{row['batch_id']}_{row['row_no']}",
            )
            if st.button("落地", key=f"imp_placebtn_{row['batch_id']}_{row['row_no']}"):
                try:
                    review.place(scope, row["batch_id"], row["row_no"], choice)
                except (ImportError_, AccessDenied) as exc:
                    _error(exc)
                    return
                flash("已落地并写入台账。")
                st.rerun()


# ---------------------------------------------------------------- log


def import_log(scope: Scope) -> None:
    rows = batches.log(scope, limit=50)
    if not rows:
        st.info("还没有导入记录。")
        return
    table = pd.DataFrame(
        [
            {
                "时间": r["created_at"].strftime("%Y-%m-%d %H:%M"),
                "来源": r["source_name"] or r["source"],
                "文件": r["file_name"],
                "SHA-256": r["sha256"][:12],
                "行数": _rows_of(r),
                "状态": batches.STATES.get(r["state"], r["state"]),
                "操作人": r["created_by"],
            }
            for r in rows
        ]
    )
    st.dataframe(table, hide_index=True, key="imp_log_table", placeholder="")
    by_id = {r["id"]: r for r in rows}
    # No state in the label: the browser keeps a chosen option's label while the batch's state
    # changes under it (an undo finishing); the line below the picker shows the state.
    picked = st.selectbox(
        "选择批次（查看详情、下载拒绝清单或撤销）",
        list(by_id),
        format_func=lambda i: f"{by_id[i]['created_at']:%m-%d %H:%M} · {by_id[i]['file_name']}",
        key="imp_log_pick",
    )
    batch = batches.get(scope, picked)
    counts = batch.get("counts") or {}
    st.markdown(
        f"**{literal(batch['file_name'])}**（{literal(batch['source_name'])}）· "
        f"{batches.STATES.get(batch['state'], batch['state'])} · 批次 `{batch['id']}` · "
        f"SHA-256 `{batch['sha256']}`"
    )
    if counts.get("actions"):
        st.caption(
            "预览："
            + "，".join(f"{stage.ACTIONS.get(k, k)} {v:,}" for k, v in counts["actions"].items())
        )
    if counts.get("written"):
        w = counts["written"]
        st.caption(
            f"写入：新增 {w.get('inserted', 0):,}，更新字段 {w.get('fields_changed', 0):,}，待审核 {w.get('review', 0):,}"
        )
    if counts.get("undone"):
        u = counts["undone"]
        st.caption(
            f"撤销：恢复字段 {u['fields_restored']:,}，待审核 {u['fields_for_review']:,}，删除新增 {u['records_removed']:,}"
        )
    cols = st.columns(3)
    reject_download(scope, batch, cols[0])
    if batch["state"] == "previewed" and cols[1].button(
        "继续确认", key=f"imp_resume_{batch['id']}"
    ):
        st.session_state[BATCH_KEY] = batch["id"]
        st.rerun()
    if batch["state"] == "committed" and cols[2].button("撤销本批", key=f"imp_undo_{batch['id']}"):
        st.session_state["imp_undo"] = batch["id"]
    if st.session_state.get("imp_undo") == batch["id"]:
        confirm_undo(scope, batch["id"])


def _rows_of(batch: dict) -> str:
    actions = (batch.get("counts") or {}).get("actions") or {}
    return f"{sum(actions.values()):,}" if actions else ""


@st.dialog("撤销整批导入")
def confirm_undo(scope: Scope, batch_id: str) -> None:
    st.write(
        "将恢复该批修改过的字段、删除它新增且无人改动过的记录、撤回它设置的标签。之后又被修改过的字段不会被覆盖，而是列入审核。"
    )
    if st.button("确认撤销", type="primary", key="imp_undo_go") and job_view.start(
        scope, "import_undo", JOB_KEY, batch_id=batch_id
    ):
        st.session_state.pop("imp_undo", None)
        st.rerun()


def job_panel(scope: Scope) -> None:
    """The last import job started from this page: live progress, then its message. The job
    goes on if the tab is closed; its batch is in the import log."""
    job_id = st.session_state.get(JOB_KEY)
    if not job_id:
        return
    try:
        row = jobs.get(scope, job_id)
    except jobs.JobError:
        st.session_state.pop(JOB_KEY, None)
        return
    if row["state"] not in jobs.FINISHED:
        job_view.panel(scope, job_id, key="imp_job_panel")  # live progress until it ends
    elif row["state"] == "done":
        st.success(literal(row["message"]), icon=":material/check_circle:")
    else:  # an import job leaves no result file: its message is all there is to show
        st.error(literal(row["message"]), icon=":material/error:")


def sources_table() -> None:
    """The backflow sources for 字段与标签标准: fields with priorities, owned import tags."""
    names = {f["code"]: f["name"] for f in catalog.field_defs()}
    tags = {t["code"]: t["name"] for t in catalog.tag_tree()}
    st.caption(
        "每个来源可写入的字段及其优先级（数字大者优先；同级不一致进入冲突审核）；"
        "导入标签只由负责的来源设置和结束。“台账维护”代表控制台中的手工修改。"
    )
    st.dataframe(
        [
            {
                "来源": s.name,
                "部门": s.department_name or "街道",
                "对象": {"resident": "人口", "household": "户", "house": "房屋", "shop": "商铺"}[
                    s.entity
                ],
                "字段（优先级）": "、".join(
                    f"{names.get(f, f)} {p}"
                    for f, p in sorted(s.priorities.items(), key=lambda x: -x[1])
                ),
                "负责的标签": "、".join(tags.get(t, t) for t in s.tags),
                "可导入": "是" if s.importable else "否",
            }
            for s in sources.sources()
        ],
        hide_index=True,
        placeholder="",
    )
