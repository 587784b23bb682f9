"""报表中心 widgets: catalogue and one-click download, batch zip, run log and hours saved."""

from __future__ import annotations

import io
import logging
from datetime import date, datetime

import pandas as pd
import plotly.express as px
import streamlit as st

from yibiaotong import catalog, db, reports, tags
from yibiaotong.scope import AccessDenied, Scope

log = logging.getLogger("yibiaotong")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ALL = "__all__"


@st.cache_data(ttl=300, max_entries=200, show_spinner=False)
def _preview(
    scope: Scope, code: str, version: int, org_code: str, masked: bool, data_version: int
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


def _org_picker(scope: Scope, key: str) -> str:
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
        st.caption(by_id[chosen]["description"])
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
            f"**{t['name']}**　{t['department_name']} · {t['frequency_name']} · {t['kind_name']} · 第 {t['version']} 版"
        )
        if t["description"]:
            st.caption(t["description"])
        if t["blocked_by"]:
            st.warning(
                f"您不能生成此报表：{t['blocked_by']}。如确需使用，请联系区数据局管理员。",
                icon=":material/lock:",
            )
            return
        left, right = st.columns([3, 2])
        with left:
            org = _org_picker(scope, "rc_org")
        with right:
            masked = not scope.clearance or st.toggle(
                "导出脱敏版",
                key="rc_masked",
                help="您有敏感信息查看权限；未脱敏导出将记入访问日志。",
            )
        try:
            frame, total = _preview(
                scope, t["code"], t["version"], org, bool(masked), db.data_version()
            )
        except (reports.ReportError, AccessDenied) as exc:
            st.error(str(exc))
            return
        unit = reports.ENTITY_UNITS[t["entity"]] if t["kind"] == "list" else "个单位"
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
        org = _org_picker(scope, "rb_org")
    chosen = reports.batch_codes(scope, None if department == ALL else department)
    runnable = [t for t in chosen if t["runnable"]]
    blocked = [t for t in chosen if not t["runnable"]]
    minutes = sum(t["manual_minutes"] for t in runnable)
    st.caption(
        f"将生成 {len(runnable)} 张报表，约节省人工 {minutes / 60:.1f} 小时"
        + (f"；{len(blocked)} 张因权限不能生成，将在压缩包的说明中列出" if blocked else "")
        + "。"
    )
    key = (department, org)
    if st.button("生成压缩包", icon=":material/folder_zip:", key="rb_make", disabled=not runnable):
        bar = st.progress(0.0, text="准备中…")
        names = {t["code"]: t["name"] for t in chosen}

        def progress(done: int, total: int, code: str) -> None:
            text = f"正在生成 {done + 1}/{total}：{names.get(code, code)}" if code else "已完成"
            bar.progress(done / total if total else 1.0, text=text)

        buffer = io.BytesIO()
        try:
            result = reports.batch_zip(scope, [t["code"] for t in chosen], buffer, org, progress)
        except AccessDenied as exc:
            st.error(str(exc))
            return
        st.session_state["rb_zip"] = (key, buffer.getvalue(), result)
    ready = st.session_state.get("rb_zip")
    if ready and ready[0] == key:
        result = ready[2]
        rows = sum(r.rows for r in result.runs)
        st.success(
            f"已生成 {len(result.runs)} 张报表，共 {rows:,} 行，用时 {result.seconds:.1f} 秒，"
            f"节省人工约 {sum(r.minutes_saved for r in result.runs) / 60:.1f} 小时。"
        )
        if result.skipped:
            with st.expander(f"未生成 {len(result.skipped)} 张"):
                for name, reason in result.skipped:
                    st.markdown(f"- **{name}**：{reason}")
        unit = catalog.org_name(org) or org
        label = "全部" if department == ALL else departments[department]
        st.download_button(
            "下载压缩包",
            ready[1],
            file_name=f"{label}报表_{unit}_{datetime.now():%Y%m%d}.zip",
            mime="application/zip",
            icon=":material/download:",
            type="primary",
            key="rb_download",
        )


def savings(scope: Scope) -> None:
    """Hours saved by generated reports in the caller's scope (this month, overall, by department)."""
    s = reports.savings(scope)
    a, b, c, d = st.columns(4)
    a.metric("本月生成报表", f"{s['runs_month']:,} 张")
    b.metric("本月节省人工", f"{s['hours_month']:,} 小时")
    c.metric("累计生成报表", f"{s['runs']:,} 张")
    d.metric("累计节省人工", f"{s['hours']:,} 小时")
    st.caption("节省时间 = 每次生成的报表模板所估算的人工填报分钟数之和。")
    frame = s["by_department"]
    if not frame.empty:
        frame = frame.assign(节省小时=(frame["minutes_saved"] / 60).round(1))
        chart = px.bar(
            frame,
            x="节省小时",
            y="department_name",
            orientation="h",
            labels={"department_name": "部门"},
            height=max(220, 32 * len(frame)),
        )
        chart.update_layout(
            margin={"l": 0, "r": 0, "t": 10, "b": 0}, yaxis={"autorange": "reversed"}
        )
        st.plotly_chart(chart, config={"displayModeBar": False})


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
        "上传部门下发的空白 Excel 表样（.xlsx），系统识别表头并匹配字段标准，确认后把数据填入表样副本："
        "标题、表头、合并单元格和签字栏原样保留，数据行不够时自动插入并加边框。"
    )
    lists = [t for t in reports.templates(scope) if t["kind"] == "list" and t["runnable"]]
    if not lists:
        st.info("没有可用的名册类报表。")
        return
    by_code = {t["code"]: t for t in lists}
    left, right = st.columns(2)
    with left:
        code = st.selectbox(
            "按哪张报表的筛选条件取数",
            list(by_code),
            format_func=lambda c: f"{by_code[c]['name']} · {by_code[c]['department_name']}",
            key="rf_code",
        )
    with right:
        org = _org_picker(scope, "rf_org")
    template = by_code[code]
    upload = st.file_uploader("上传空白表样（.xlsx，不超过 10 MB）", type=["xlsx"], key="rf_file")
    if upload is None:
        return
    data = upload.getvalue()
    try:
        analysis = reports.analyse_form(data, template["entity"])
    except reports.ReportError as exc:
        st.error(str(exc))
        return
    block = analysis.block
    st.success(
        f"识别到表头：第 {block.first_row}–{block.last_row} 行，共 {len(block.columns)} 列；"
        f"数据从第 {block.data_row} 行开始，表样留有 {block.blank_rows} 行空白行"
        + ("，表尾签字栏将随数据下移" if block.footer_row else "")
        + "。"
    )
    if analysis.remembered:
        st.info(
            "此表样上次已确认过字段对应关系，已自动套用；如有变化可在下表中修改。",
            icon=":material/history:",
        )
    labels = {None: "（不填，留空）", **analysis.choices}
    reverse = {v: k for k, v in labels.items()}
    table = pd.DataFrame(
        {
            "列": [c.letter for c in block.columns],
            "表头": [c.display for c in block.columns],
            "对应字段": [labels[analysis.mapping[c.key]] for c in block.columns],
            "匹配度": [
                "已确认"
                if analysis.remembered
                else (f"{analysis.scores[c.key]:.0f}" if analysis.mapping[c.key] else "")
                for c in block.columns
            ],
        }
    )
    edited = st.data_editor(
        table,
        hide_index=True,
        disabled=["列", "表头", "匹配度"],
        column_config={
            "对应字段": st.column_config.SelectboxColumn(
                options=list(labels.values()), required=True
            )
        },
        key=f"rf_map_{block.signature}",
        placeholder="",
    )
    mapping = {
        c.key: reverse.get(v) for c, v in zip(block.columns, edited["对应字段"], strict=True)
    }
    masked = not scope.clearance or st.toggle("导出脱敏版", key="rf_masked")
    key = (
        block.signature,
        code,
        org,
        bool(masked),
        tuple(sorted((k, v or "") for k, v in mapping.items())),
    )
    if st.button("套用表样并生成", icon=":material/table_edit:", type="primary", key="rf_make"):
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
            st.error(str(exc))
            return
        st.session_state["rf_result"] = (key, content, run)
    ready = st.session_state.get("rf_result")
    if ready and ready[0] == key:
        run = ready[2]
        st.success(f"已填入 {run.rows:,} 行，对应关系已记住，下次上传同一表样自动套用。")
        st.download_button(
            "下载填好的表样",
            ready[1],
            file_name=run.filename,
            mime=XLSX_MIME,
            icon=":material/download:",
            key="rf_download",
        )


# ---------------------------------------------------------------------------------------------
# Template editor (district admins)

_BLANK = "__blank__"
_NEW = "__new__"
_OPS = ("=", "!=", ">", ">=", "<", "<=", "in", "not_in", "between", "is_null", "not_null")


def _editor_columns(defn: dict, choices: dict[str, str]) -> pd.DataFrame:
    labels = {**choices, _BLANK: "（空白列，手填）"}
    totals = set((defn.get("totals") or {}).get("sum") or [])
    rows = []
    for c in defn.get("columns") or []:
        key = c.get("field") or c.get("derived") or _BLANK
        rows.append(
            {
                "内容": labels.get(key, key),
                "表头文字": c.get("header", ""),
                "上级表头": c.get("group") or "",
                "合计": key in totals,
            }
        )
    return pd.DataFrame(rows or [{"内容": None, "表头文字": "", "上级表头": "", "合计": False}])


def _editor_conditions(defn: dict, fields: dict[str, str]) -> pd.DataFrame:
    refs, names = tags.reference(defn["entity"])
    rows = []
    for c in (defn.get("filter") or {}).get("conditions") or []:
        value = c.get("value")
        ref = refs.get(c["field"])
        shown = names.get(ref.column, {}) if ref is not None and ref.code_list else {}
        values = value if isinstance(value, list) else ([] if value is None else [value])
        text = "、".join(
            ("是" if v else "否") if isinstance(v, bool) else shown.get(str(v), str(v))
            for v in values
        )
        rows.append({"字段": fields.get(c["field"], c["field"]), "运算": c["op"], "取值": text})
    return pd.DataFrame(rows or [], columns=["字段", "运算", "取值"])


def _condition_value(entity: str, field: str, op: str, text: str):
    """The typed text of a condition value as the spec wants it (code names become codes)."""
    refs, names = tags.reference(entity)
    ref = refs.get(field)
    parts = [
        p.strip()
        for p in str(text or "").replace("，", "、").replace(",", "、").split("、")
        if p.strip()
    ]
    if ref is not None and ref.code_list:
        by_name = {n: code for code, n in names.get(ref.column, {}).items()}
        parts = [by_name.get(p, p) for p in parts]
    if ref is not None and ref.data_type == "bool":
        parts = [p in ("是", "true", "True", "1") for p in parts]
    if op in ("is_null", "not_null"):
        return None
    if op in ("in", "not_in", "between"):
        return parts
    return parts[0] if parts else None


def _day(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


def editor(scope: Scope) -> None:
    """Pick a template (or start a new one), edit it, preview it, save it as a new version."""
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
        defn = reports.new_definition()
    else:
        defn = dict(by_code[code]["definition"])
        if defn["kind"] == "summary":
            st.info("统计表模板请在 data/catalog/reports/ 中按 YAML 维护；此处可查看定义和版本。")
            st.json(defn, expanded=False)
            st.dataframe(pd.DataFrame(reports.history(code)), hide_index=True, placeholder="")
            return
    k = f"re_{code}"
    departments = catalog.departments()
    a, b, c = st.columns([2, 3, 2])
    new_code = a.text_input(
        "模板编码",
        defn["code"],
        disabled=code != _NEW,
        key=f"{k}_codetext",
        help="小写字母、数字、下划线，如 mz_elderly_visit",
    )
    name = b.text_input("报表名称", defn["name"], max_chars=60, key=f"{k}_name")
    department = c.selectbox(
        "部门",
        list(departments),
        index=list(departments).index(defn["department"])
        if defn["department"] in departments
        else 0,
        format_func=departments.get,
        key=f"{k}_dept",
    )
    a, b, c, d = st.columns(4)
    frequency = a.selectbox(
        "报送频次",
        list(reports.FREQUENCIES),
        index=list(reports.FREQUENCIES).index(defn["frequency"]),
        format_func=reports.FREQUENCIES.get,
        key=f"{k}_freq",
    )
    entity = b.selectbox(
        "对象",
        list(reports.ENTITY_NAMES),
        index=list(reports.ENTITY_NAMES).index(defn["entity"]),
        format_func=reports.ENTITY_NAMES.get,
        disabled=code != _NEW,
        key=f"{k}_entity",
    )
    minutes = c.number_input(
        "人工填报约（分钟/次）", 0, 10_000, int(defn["manual_minutes"]), key=f"{k}_minutes"
    )
    status = d.selectbox(
        "状态",
        list(reports.STATUSES),
        index=list(reports.STATUSES).index(defn["status"]),
        format_func=reports.STATUSES.get,
        key=f"{k}_status",
    )
    a, b = st.columns(2)
    valid_from = a.date_input("生效日期", value=_day(defn.get("valid_from")), key=f"{k}_from")
    valid_to = b.date_input(
        "失效日期（到期自动停用）", value=_day(defn.get("valid_to")), key=f"{k}_to"
    )
    description = st.text_input("说明", defn.get("description", ""), max_chars=300, key=f"{k}_desc")

    st.markdown("**筛选条件**")
    tag_rows = [t for t in tags.tag_index() if t["entity"] == entity]
    tag_names = {t["code"]: t["name"] for t in tag_rows}
    chosen = (defn.get("filter") or {}).get("tags") or {}
    cols = st.columns(3)
    picked = {}
    for col, (mode, label) in zip(
        cols,
        (("all", "且：必须带有"), ("any", "或：至少带有其一"), ("none", "非：不带有")),
        strict=True,
    ):
        picked[mode] = col.multiselect(
            label,
            list(tag_names),
            default=[t for t in chosen.get(mode, []) if t in tag_names],
            format_func=tag_names.get,
            placeholder="选择标签",
            key=f"{k}_tags_{mode}",
        )
    refs, _ = tags.reference(entity)
    field_labels = {}
    for ref in refs.values():
        field_labels.setdefault(ref.code or ref.key, ref.label)
    by_label = {v: key for key, v in field_labels.items()}
    conditions_frame = st.data_editor(
        _editor_conditions(defn, field_labels),
        num_rows="dynamic",
        hide_index=True,
        column_config={
            "字段": st.column_config.SelectboxColumn(options=list(by_label), required=True),
            "运算": st.column_config.SelectboxColumn(
                options=list(_OPS),
                required=True,
                help="、".join(f"{o} {tags.OP_NAMES[o]}" for o in _OPS),
            ),
            "取值": st.column_config.TextColumn(
                help="多个值用顿号分隔；代码字段可填名称，如：男、户籍人口"
            ),
        },
        key=f"{k}_conds",
        placeholder="",
    )

    st.markdown("**列（按表格从左到右）**")
    choices = reports.column_choices(entity)
    labels = {**choices, _BLANK: "（空白列，手填）"}
    reverse = {v: key for key, v in labels.items()}
    columns_frame = st.data_editor(
        _editor_columns(defn, choices),
        num_rows="dynamic",
        hide_index=True,
        column_config={
            "内容": st.column_config.SelectboxColumn(options=list(labels.values()), required=True),
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
    sort_keys = ["community", "grid", *[key for key in field_labels if key in choices]]
    if entity == "resident":
        sort_keys += ["age", "-age"]
    sort_names = {
        "community": "所属社区",
        "grid": "所属网格",
        "age": "年龄从小到大",
        "-age": "年龄从大到小",
        **{key: field_labels[key] for key in field_labels},
    }
    sort = a.multiselect(
        "排序",
        sort_keys,
        default=[s for s in defn.get("sort") or [] if s in sort_keys],
        format_func=lambda s: sort_names.get(s, s),
        key=f"{k}_sort",
    )
    groups = [None, "street", "community", "grid"]
    group_by = b.selectbox(
        "分组小计",
        groups,
        index=groups.index(defn.get("group_by")),
        format_func=lambda g: "不分组" if g is None else f"按{reports.LEVEL_NAMES[g]}",
        key=f"{k}_group",
    )
    with_totals = c.toggle("合计行", value=defn.get("totals") is not None, key=f"{k}_totals")
    layout = defn.get("layout") or {}
    a, b = st.columns([1, 3])
    orientations = [None, "portrait", "landscape"]
    orientation = a.selectbox(
        "纸张方向",
        orientations,
        index=orientations.index(layout.get("orientation")),
        format_func=lambda o: {None: "按宽度自动", "portrait": "纵向", "landscape": "横向"}[o],
        key=f"{k}_orient",
    )
    note = b.text_input("表下注释", layout.get("note") or "", max_chars=300, key=f"{k}_note")

    bands = next(
        (c["bands"] for c in defn.get("columns") or [] if c.get("derived") == "elderly_allowance"),
        reports.DEFAULT_ALLOWANCE_BANDS,
    )
    columns, sums = [], []
    for row in columns_frame.to_dict("records"):
        key = reverse.get(row.get("内容"))
        if key is None:
            continue
        header = (row.get("表头文字") or "").strip()
        item = (
            {"blank": True}
            if key == _BLANK
            else ({"derived": key} if key in reports.DERIVED else {"field": key})
        )
        if key == "elderly_allowance":
            item["bands"] = bands
        item["header"] = header or (
            "" if key == _BLANK else choices.get(key, key).removesuffix("（派生）")
        )
        if (row.get("上级表头") or "").strip():
            item["group"] = row["上级表头"].strip()
        columns.append(item)
        if row.get("合计") and key != _BLANK:
            sums.append(key)
    conditions = []
    for row in conditions_frame.to_dict("records"):
        field = by_label.get(row.get("字段"))
        if not field or not row.get("运算"):
            continue
        cond = {"field": field, "op": row["运算"]}
        value = _condition_value(entity, field, row["运算"], row.get("取值"))
        if value is not None:
            cond["value"] = value
        conditions.append(cond)
    data = {
        "code": new_code.strip(),
        "version": defn.get("version", 1),
        "name": name,
        "department": department,
        "frequency": frequency,
        "entity": entity,
        "kind": "list",
        "status": status,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "manual_minutes": int(minutes),
        "description": description,
        "filter": {"tags": picked, "conditions": conditions},
        "columns": columns,
        "sort": sort,
        "group_by": group_by,
        "totals": {"label": "合计", "sum": sums} if with_totals else None,
        "layout": {**layout, "orientation": orientation, "note": note or None},
    }
    if defn.get("title"):
        data["title"] = defn["title"]
    try:
        checked = reports.check_definition(data)
    except reports.ReportError as exc:
        st.warning(f"模板尚不完整：{exc}")
        checked = None

    st.markdown("**预览**")
    org = _org_picker(scope, f"{k}_org")
    if checked is not None:
        try:
            prepared = reports.prepare(scope, checked["code"], org, definition=checked)
            frame, total = reports.preview(prepared)
        except (reports.ReportError, AccessDenied) as exc:
            st.error(str(exc))
        else:
            st.caption(f"按当前设置共 {total:,} 行，预览前 {len(frame)} 行：")
            st.dataframe(frame, hide_index=True, placeholder="")
    saved_label = "保存为新版本" if code != _NEW else "保存模板"
    if st.button(
        saved_label,
        type="primary",
        icon=":material/save:",
        disabled=checked is None,
        key=f"{k}_save",
    ):
        try:
            stored = reports.save_version(scope, data)
        except (reports.ReportError, AccessDenied) as exc:
            st.error(str(exc))
        else:
            st.success(
                f"已保存“{stored['name']}”第 {stored['version']} 版；此前的运行记录仍指向各自使用的版本。"
            )
    if code != _NEW:
        st.markdown("**版本记录**")
        history = pd.DataFrame(reports.history(code)).rename(
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
