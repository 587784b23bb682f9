"""报表中心 widgets: catalogue and one-click download, batch zip, run log and hours saved."""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import datetime
from pathlib import Path

import pandas as pd
import streamlit as st

from yibiaotong import catalog, db, reports
from yibiaotong import mapping as mapper
from yibiaotong.excel import template_fill
from yibiaotong.scope import AccessDenied, Scope
from yibiaotong.ui import charts, job_view
from yibiaotong.ui.markdown import literal

log = logging.getLogger("yibiaotong")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ALL = "__all__"


@st.cache_data(ttl=300, max_entries=200, show_spinner=False)
def _preview(
    scope: Scope,
    code: str,
    version: int,
    org_code: str,
    masked: bool,
    data_version: int,
    view: str | None,
) -> tuple[pd.DataFrame, int]:
    prepared = reports.prepare(scope, code, org_code, masked=masked)
    return reports.preview(prepared)


def org_choices(scope: Scope) -> dict[str, str]:
    """The caller's unit and the units one and two levels below it (never a grid list of 500)."""
    units = catalog.org_units_under(scope.org_code)
    depth = {6: 2, 9: 1, 12: 1, 15: 0}.get(len(scope.org_code), 1)
    wanted = {len(scope.org_code) + 3 * i for i in range(depth + 1)}
    return {
        u["code"]: u["full_name"].replace("/", " › ") for u in units if len(u["code"]) in wanted
    }


def org_picker(scope: Scope, key: str) -> str:
    choices = org_choices(scope)
    return st.selectbox(
        "报表范围",
        list(choices),
        format_func=lambda c: choices.get(c, c),
        key=key,
        help="报表只包含所选单位（及其下级）的数据；不能超出您的辖区。",
    )


def _filters(scope: Scope, prefix: str) -> tuple[str | None, str | None, str]:
    departments = reports.departments_with_templates(scope)
    options = [ALL, *departments]
    if f"{prefix}_dept" not in st.session_state:
        st.session_state[f"{prefix}_dept"] = (
            scope.department if scope.department in departments else ALL
        )
    left, middle, right = st.columns([2, 1, 2])
    department = left.selectbox(
        "部门",
        options,
        format_func=lambda c: "全部部门" if c == ALL else departments[c],
        key=f"{prefix}_dept",
    )
    frequency = middle.selectbox(
        "报送频次",
        [ALL, *reports.FREQUENCIES],
        format_func=lambda c: "全部" if c == ALL else reports.FREQUENCIES[c],
        key=f"{prefix}_freq",
    )
    search = right.text_input(
        "搜索", key=f"{prefix}_search", placeholder="报表名称、部门或说明，如：高龄、消防"
    )
    return (
        (None if department == ALL else department),
        (None if frequency == ALL else frequency),
        search,
    )


def _label(t: dict) -> str:
    lock = "🔒 " if t["blocked_by"] else ""
    return f"{lock}{t['name']} · {t['department_name']} · {t['frequency_name']}"


def catalogue(scope: Scope) -> None:
    """Pick a template, see its row count and first rows, download it with one click."""
    department, frequency, search = _filters(scope, "rc")
    found = reports.templates(scope, department, frequency, search)
    if not found:
        st.info("没有符合条件的报表模板。可清空搜索或选择“全部部门”。")
        return
    st.caption(f"共 {len(found)} 张报表模板。")
    table = pd.DataFrame(
        {
            "报表名称": [t["name"] for t in found],
            "部门": [t["department_name"] for t in found],
            "频次": [t["frequency_name"] for t in found],
            "类型": [t["kind_name"] for t in found],
            "对象": [t["entity_name"] for t in found],
            "人工填报约（分钟/次）": [t["manual_minutes"] for t in found],
            "版本": [t["version"] for t in found],
        }
    )
    st.dataframe(table, hide_index=True, height=min(38 + 35 * len(found), 280), placeholder="")
    by_code = {t["code"]: t for t in found}
    if st.session_state.get("rc_code") not in by_code:
        st.session_state["rc_code"] = found[0]["code"]
    code = st.selectbox(
        "选择报表", list(by_code), format_func=lambda c: _label(by_code[c]), key="rc_code"
    )
    chosen = by_code[code]
    report_card(scope, chosen)
    saved_queries(scope)


def saved_queries(scope: Scope) -> None:
    """Tag queries saved 作为报表 in 标签查询, downloadable here as plain Excel lists."""
    saved = reports.saved_query_reports(scope)
    if not saved:
        return
    with st.expander(f"来自标签查询的自定义报表（{len(saved)}）"):
        by_id = {q["id"]: q for q in saved}
        chosen = st.selectbox(
            "自定义报表",
            list(by_id),
            format_func=lambda i: f"{by_id[i]['name']} · {by_id[i]['owner_name']}",
            key="rc_saved",
        )
        st.caption(literal(by_id[chosen]["description"]))
        st.download_button(
            "下载 Excel",
            data=lambda: reports.saved_query_bytes(scope, chosen),
            file_name=f"{by_id[chosen]['name']}_{datetime.now():%Y%m%d}.xlsx",
            mime=XLSX_MIME,
            icon=":material/download:",
            key="rc_saved_download",
        )


def report_card(scope: Scope, t: dict) -> None:
    with st.container(border=True):
        st.markdown(
            f"**{literal(t['name'])}**　{literal(t['department_name'])} · {t['frequency_name']} · "
            f"{t['kind_name']} · 第 {t['version']} 版"
        )
        if t["description"]:
            st.caption(literal(t["description"]))
        if t["blocked_by"]:
            st.warning(
                f"您不能生成此报表：{literal(t['blocked_by'])}。如确需使用，请联系区数据局管理员。",
                icon=":material/lock:",
            )
            return
        left, right = st.columns([3, 2])
        with left:
            org = org_picker(scope, "rc_org")
        with right:
            masked = not scope.clearance or st.toggle(
                "导出脱敏版",
                key="rc_masked",
                help="您有敏感信息查看权限；未脱敏导出将记入访问日志。",
            )
        try:
            # An unmasked preview is logged once per page view: a new view reaches the domain.
            view = None if masked else st.session_state.get("yb_view")
            frame, total = _preview(
                scope, t["code"], t["version"], org, bool(masked), db.data_version(), view
            )
        except (reports.ReportError, AccessDenied) as exc:
            st.error(literal(exc))
            return
        unit = catalog.ENTITY_UNITS[t["entity"]] if t["kind"] == "list" else "个单位"
        a, b, c = st.columns(3)
        a.metric("行数", f"{total:,} {unit}" if t["kind"] == "list" else f"{total} 行")
        b.metric("人工填报约", f"{t['manual_minutes']} 分钟")
        c.metric("敏感信息", "已脱敏" if masked else "明文")
        if frame.empty:
            st.info("当前范围内没有符合条件的记录；仍可下载只有表头的空表。")
        else:
            st.caption(f"预览前 {len(frame)} 行（共 {total:,} 行）")
            st.dataframe(frame, hide_index=True, placeholder="")
        prepared_name = reports.filename(
            reports.prepare(scope, t["code"], org, masked=bool(masked))
        )

        def build() -> bytes:
            data, run = reports.generate_bytes(scope, t["code"], org, masked=bool(masked))
            log.info("report %s generated by %s: %s rows", t["code"], scope.username, run.rows)
            return data

        st.download_button(
            "生成并下载 Excel",
            data=build,
            file_name=prepared_name,
            mime=XLSX_MIME,
            icon=":material/download:",
            type="primary",
            key="rc_download",
            help="按所选范围生成完整报表（含表头、合计、表尾签字栏），并记入报表运行记录。",
        )


def batch(scope: Scope) -> None:
    """All templates of a department (or all that apply) for one unit, zipped, with progress."""
    departments = reports.departments_with_templates(scope)
    left, right = st.columns(2)
    with left:
        options = [ALL, *departments]
        if "rb_dept" not in st.session_state:
            st.session_state["rb_dept"] = (
                scope.department if scope.department in departments else ALL
            )
        department = st.selectbox(
            "部门",
            options,
            format_func=lambda c: "全部适用的报表" if c == ALL else departments[c],
            key="rb_dept",
        )
    with right:
        org = org_picker(scope, "rb_org")
    chosen = reports.batch_codes(scope, None if department == ALL else department)
    runnable = [t for t in chosen if t["runnable"]]
    blocked = [t for t in chosen if not t["runnable"]]
    minutes = sum(t["manual_minutes"] for t in runnable)
    st.caption(
        f"将生成 {len(runnable)} 张报表，按模板估算人工约 {minutes / 60:.1f} 小时"
        "（本报送期已生成过的不重复计入节省）"
        + (f"；{len(blocked)} 张因权限不能生成，将在压缩包的说明中列出" if blocked else "")
        + "。"
    )
    if st.button("生成压缩包", icon=":material/folder_zip:", key="rb_make", disabled=not runnable):
        label = "全部" if department == ALL else departments[department]
        codes = [t["code"] for t in chosen]
        job_view.start(scope, "report_batch", "rb_job", codes=codes, org_code=org, label=label)
    if job_id := st.session_state.get("rb_job"):
        job_view.panel(scope, job_id, key="rb_job_panel")
        st.caption("压缩包在后台生成：可以离开本页或关闭浏览器，之后在“任务”页面查看进度和下载。")


def savings(scope: Scope) -> None:
    """Hours saved by generated reports in the caller's scope (this month, overall, by department)."""
    s = reports.savings(scope)
    a, b, c, d = st.columns(4)
    a.metric("本月生成报表", f"{s['forms_month']:,} 张", help=f"共生成 {s['runs_month']:,} 次")
    b.metric("本月节省人工", f"{s['hours_month']:,} 小时")
    c.metric("累计生成报表", f"{s['forms']:,} 张", help=f"共生成 {s['runs']:,} 次")
    d.metric("累计节省人工", f"{s['hours']:,} 小时")
    st.caption(
        "一张报表按“模板 + 单位 + 报送期”计一次：同一期内重复下载、批量和命令行生成不重复计入；"
        "节省时间为每张报表模板估算的人工填报分钟数之和。"
    )
    frame = s["by_department"]
    if not frame.empty:
        hours = [m / 60 for m in frame["minutes_saved"]]
        height = max(220, 32 * len(frame))
        option = charts.hbar(
            frame["department_name"],
            hours,
            charts.LIGHT,
            "各部门节省人工",
            height,
            text=[f"{h:,.1f} 小时" for h in hours],
        )
        charts.show(st, option, height)


def run_log(scope: Scope) -> None:
    """Paged table of report runs in the caller's scope."""
    size = 50
    page = st.columns([1, 5])[0].number_input("页码", min_value=1, value=1, step=1, key="rr_page")
    frame = reports.runs(scope, limit=size, offset=(int(page) - 1) * size)
    if frame.empty:
        st.info("还没有生成过报表。到“报表中心”选择一张报表，一键生成即可。")
        return
    st.dataframe(
        frame,
        hide_index=True,
        column_config={
            "生成时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
            "耗时（秒）": st.column_config.NumberColumn(format="%.2f"),
        },
        placeholder="",
    )


def fill_form(scope: Scope) -> None:
    """Upload a department's own blank form, confirm the header mapping, download it filled."""
    st.caption(
        "上传部门下发的空白 Excel 表样（.xlsx）：名册按行填入每个人（户主、父母、配偶等他人信息取自台账中关联的人），"
        "统计表、指标表按单位和类别计数填写。标题、表头、合并单元格和签字栏原样保留，公式转为固定值。"
    )
    # Rosters of residents first: most departments' forms list people.
    usable = sorted(
        (t for t in reports.templates(scope) if t["runnable"]),
        key=lambda t: (t["kind"] != "list", t["entity"] != "resident"),
    )
    if not usable:
        st.info("没有可用的报表模板。")
        return
    by_code = {t["code"]: t for t in usable}
    left, right = st.columns(2)
    with left:
        code = st.selectbox(
            "按哪张报表的对象和筛选条件取数",
            list(by_code),
            format_func=lambda c: f"{by_code[c]['name']} · {by_code[c]['department_name']}",
            key="rf_code",
        )
    with right:
        org = org_picker(scope, "rf_org")
    upload = st.file_uploader("上传空白表样（.xlsx，不超过 10 MB）", type=["xlsx"], key="rf_file")
    if upload is None:
        return
    data = upload.getvalue()
    try:
        analysis = reports.analyse_form(scope, data, code, org)
    except (reports.ReportError, AccessDenied) as exc:
        st.error(literal(exc))
        return
    block = analysis.block
    st.success(
        f"识别为{block.kind_name}：表头在第 {block.first_row}–{block.last_row} 行，共 {len(block.columns)} 列；"
        + (
            f"数据从第 {block.data_row} 行开始，表样留有 {block.blank_rows} 行空白行"
            + ("，表尾签字栏将随数据下移" if block.footer_row else "")
            if block.kind == "roster"
            else f"共 {len(block.labels)} 行待填"
        )
        + "。"
    )
    if analysis.formulas:
        st.info(
            f"表样中有 {len(analysis.formulas)} 个公式单元格（如 {analysis.formulas[0]}），"
            "生成时转为固定值或合计数，打开文件时不会计算或联网。",
            icon=":material/function:",
        )
    if block.kind != "roster":
        mapping, unconfirmed = {}, []
        _show_counts(analysis)
    else:
        if analysis.remembered:
            st.info(
                "此表样上次已确认过字段对应关系，已自动套用；如有变化可在下表中修改。",
                icon=":material/history:",
            )
        mapping, unconfirmed = _confirm_mapping(analysis)
    if unconfirmed:
        st.warning(
            f"还有 {len(unconfirmed)} 列待确认："
            + "、".join(f"{c.letter} 列“{literal(c.display)}”" for c in unconfirmed)
            + "。选定对应字段（不填请选“不填，留空”）后才能生成。",
            icon=":material/rule:",
        )
    masked = not scope.clearance or st.toggle("导出脱敏版", key="rf_masked")
    key = (
        block.signature,
        code,
        org,
        bool(masked),
        tuple(sorted((k, v or "") for k, v in mapping.items())),
    )
    if st.button(
        "套用表样并生成",
        icon=":material/table_edit:",
        type="primary",
        key="rf_make",
        disabled=bool(unconfirmed),
    ):
        try:
            with st.spinner("正在填入表样…"):
                content, run = reports.fill_form(
                    scope,
                    code,
                    data,
                    mapping,
                    org,
                    masked=bool(masked),
                    form_name=(block.title or upload.name.rsplit(".", 1)[0])[:40],
                )
        except (reports.ReportError, AccessDenied) as exc:
            st.error(literal(exc))
            return
        st.session_state["rf_result"] = (key, _keep_file(content, "rf_file_path"), run)
    ready = st.session_state.get("rf_result")
    if ready and ready[0] == key:
        run, path = ready[2], ready[1]
        done = "行" if block.kind == "roster" else "行统计数"
        st.success(
            f"已填入 {run.rows:,} {done}"
            + ("，对应关系已记住，下次上传同一表样自动套用。" if block.kind == "roster" else "。")
        )
        st.download_button(
            "下载填好的表样",
            data=lambda: Path(path).read_bytes(),
            file_name=run.filename,
            mime=XLSX_MIME,
            icon=":material/download:",
            key="rf_download",
        )


def _keep_file(content: bytes, key: str) -> str:
    """Keep a produced file on disk for the download button (the session keeps only its path),
    replacing this session's previous one."""
    old = st.session_state.get(key)
    if old:
        Path(old).unlink(missing_ok=True)
    handle, name = tempfile.mkstemp(prefix="yibiaotong-", suffix=".xlsx")
    with os.fdopen(handle, "wb") as f:
        f.write(content)
    st.session_state[key] = name
    return name


def _show_counts(analysis: reports.FormAnalysis) -> None:
    """How each category (or item) of a statistics table will be counted, and what stays blank."""
    table = analysis.table
    rows = [{"表头或项目": k, "统计口径": v} for k, v in table.understood.items()]
    rows += [{"表头或项目": k, "统计口径": f"留空：{v}"} for k, v in table.blank.items()]
    st.dataframe(pd.DataFrame(rows), hide_index=True, placeholder="")


_BLANK_CHOICE = "__blank__"


def _confirm_mapping(
    analysis: reports.FormAnalysis,
) -> tuple[dict[str, str | None], list[template_fill.HeaderColumn]]:
    """Ask about the weak and ambiguous headers, then show every other header's field.

    A weak match (相近) or an ambiguous one (多种可能) is never filled until the user picks its
    field — or 不填 — in a box of its own; the rest are listed with their fields and reasons and
    can be changed. Returns the mapping and the columns still waiting for an answer.
    """
    block = analysis.block
    labels = {None: "（不填，留空）", **analysis.choices}
    mapping: dict[str, str | None] = {}
    unconfirmed: list[template_fill.HeaderColumn] = []
    waiting = [c for c in block.columns if analysis.needs_confirmation(c.key)]
    if waiting:
        st.markdown("**请确认以下表头**（相近或有多种可能，系统不会自动填入）")
    for i, col in enumerate(waiting):
        if i % 2 == 0:
            row = st.columns(2)
        first = analysis.options(col.key)
        options = [*first, _BLANK_CHOICE, *(k for k in analysis.choices if k not in first)]
        with row[i % 2]:
            chosen = st.selectbox(
                f"{col.letter} 列“{literal(col.display)}”对应",
                options,
                index=None,
                format_func=lambda k: labels[None] if k == _BLANK_CHOICE else labels[k],
                placeholder="请选择对应字段…",
                key=f"rf_ask_{block.signature}_{col.key}",
            )
            st.caption(literal(analysis.notes[col.key]))
        if chosen is None:
            unconfirmed.append(col)
        mapping[col.key] = None if chosen in (None, _BLANK_CHOICE) else chosen
    if waiting:
        st.markdown("**其余表头**（可修改）")
    settled = [c for c in block.columns if c not in waiting]
    own = "本人" if analysis.entity == "resident" else "本条"
    reverse = {v: k for k, v in labels.items()}
    table = pd.DataFrame(
        {
            "列": [c.letter for c in settled],
            "表头": [c.display for c in settled],
            "关于": [mapper.RELATIONS.get(analysis.matches[c.key].relation, own) for c in settled],
            "对应字段": [labels[analysis.mapping[c.key]] for c in settled],
            "匹配": [mapper.STATUS_NAMES[analysis.matches[c.key].status] for c in settled],
            "说明": [analysis.notes[c.key] for c in settled],
        }
    )
    edited = st.data_editor(
        table,
        hide_index=True,
        disabled=["列", "表头", "关于", "匹配", "说明"],
        column_config={
            "对应字段": st.column_config.SelectboxColumn(
                options=list(labels.values()), required=True
            ),
            "说明": st.column_config.TextColumn(width="large"),
        },
        key=f"rf_map_{block.signature}",
        placeholder="",
    )
    for col, value in zip(settled, edited["对应字段"], strict=True):
        mapping[col.key] = reverse.get(value)
    return mapping, unconfirmed
