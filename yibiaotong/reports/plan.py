"""A template made runnable for one caller and org unit: its columns, SQL, title and layout."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from yibiaotong import catalog, tag_query, tags
from yibiaotong.excel import kind_of
from yibiaotong.excel.cells import file_name
from yibiaotong.excel.report import FormColumn, FormLayout
from yibiaotong.permissions import checked
from yibiaotong.reports.definition import _HOUSEHOLD_NEEDS, DERIVED, ReportError, _fail
from yibiaotong.reports.store import in_force, not_in_force_reason, template
from yibiaotong.scope import AccessDenied, Scope

LEVELS = catalog.LEVELS
LEVEL_NAMES = catalog.LEVEL_NAMES


@dataclass(frozen=True)
class Column:
    """One planned report column."""

    header: str
    kind: str  # Excel kind
    source: str  # field | derived | related | blank
    key: str  # column name, derived name ("age" for a related person's age) or ""
    group: str | None = None
    ref: tags.FieldRef | None = None
    total: bool = False
    bands: tuple[tuple[int, float], ...] = ()
    relation: str | None = None  # related: whose value (head, spouse, father, mother)

    @property
    def sensitive(self) -> bool:
        return self.ref is not None and self.ref.sensitive


@dataclass
class Prepared:
    """A template made runnable for one caller and org unit: columns, SQL, masking."""

    template: dict[str, Any]
    scope: Scope
    org_code: str
    masked: bool
    columns: list[Column]
    sql: str = ""
    count_sql: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    count_params: dict[str, Any] = field(default_factory=dict)
    group_by: str | None = None
    measures: list[dict[str, Any]] = field(default_factory=list)
    as_of: date = field(default_factory=date.today)

    @property
    def code(self) -> str:
        return self.template["code"]

    @property
    def kind(self) -> str:
        return self.template["kind"]


def period_of(frequency: str, today: date) -> str:
    if frequency == "monthly":
        return f"{today.year}年{today.month}月"
    if frequency == "quarterly":
        return f"{today.year}年第{(today.month - 1) // 3 + 1}季度"
    if frequency == "half_yearly":
        return f"{today.year}年{'上' if today.month <= 6 else '下'}半年"
    if frequency == "yearly":
        return f"{today.year}年度"
    if frequency == "weekly":
        return f"{today.year}年第{today.isocalendar()[1]}周"
    if frequency == "daily":
        return f"{today.year}年{today.month}月{today.day}日"
    return ""


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def title_of(defn: Mapping[str, Any], org_code: str, today: date) -> str:
    unit = catalog.org_name(org_code) or org_code
    pattern = defn.get("title") or "{单位}{期间}" + defn["name"]
    # Plain token replacement: a title typed in the editor is never run through str.format.
    for token, value in (
        ("{单位}", unit),
        ("{期间}", period_of(defn["frequency"], today)),
        ("{年}", str(today.year)),
        ("{月}", str(today.month)),
    ):
        pattern = pattern.replace(token, value)
    return pattern


def _plan_columns(defn: Mapping[str, Any], refs: Mapping[str, tags.FieldRef]) -> list[Column]:
    codes = {r.code: r for r in refs.values() if r.code} | tags.attr_refs(defn["entity"])
    totals = set((defn.get("totals") or {}).get("sum") or [])
    out = []
    for c in defn["columns"]:
        if c.get("field"):
            ref = codes.get(c["field"])
            if ref is None:
                _fail(
                    f"报表“{defn['name']}”使用的字段“{c.get('header') or c['field']}”已停用或不存在，"
                    "请联系区数据局管理员更新模板"
                )
            kind = kind_of(ref.data_type)
            out.append(
                Column(
                    c["header"],
                    kind,
                    "field",
                    ref.column or ref.code,
                    c.get("group"),
                    ref,
                    c["field"] in totals,
                )
            )
        elif c.get("derived"):
            d = DERIVED.get(c["derived"])
            if d is None or defn["entity"] not in d.entities:
                _fail(f"报表“{defn['name']}”使用的派生列“{c['derived']}”已不可用")
            bands = tuple((int(a), float(b)) for a, b in c.get("bands") or [])
            out.append(
                Column(
                    c["header"],
                    d.kind,
                    "derived",
                    c["derived"],
                    c.get("group"),
                    None,
                    c["derived"] in totals,
                    bands,
                )
            )
        elif c.get("related"):
            out.append(_related_column(defn, c))
        else:
            out.append(Column(c["header"], "text", "blank", "", c.get("group")))
    return out


# Whose values a form's column may hold besides the row's own, per kind of row.
RELATIONS = {"resident": ("head", "spouse", "father", "mother"), "household": ("head",)}


def _related_column(defn: Mapping[str, Any], c: Mapping[str, Any]) -> Column:
    """A column of another person's value (户主身份证号, 母亲姓名, 配偶年龄 …)."""
    relation = c.get("relation")
    if relation not in RELATIONS.get(defn["entity"], ()):
        _fail(f"“{c.get('header')}”所指的人在台账中无法关联")
    if c["related"] == "age":
        return Column(c["header"], "int", "related", "age", relation=relation)
    ref = {r.code: r for r in tags.reference("resident")[0].values() if r.code}.get(c["related"])
    if ref is None or not ref.column:  # another person's attrs fields are not looked up
        _fail(f"“{c.get('header')}”对应的字段“{c['related']}”已停用或不能取自他人")
    return Column(
        c["header"], kind_of(ref.data_type), "related", ref.column, ref=ref, relation=relation
    )


@checked
def prepare(
    scope: Scope,
    code: str,
    org_code: str | None = None,
    version: int | None = None,
    masked: bool | None = None,
    as_of: date | None = None,
    definition: Mapping[str, Any] | None = None,
    columns: Sequence[Mapping[str, Any]] | None = None,
) -> Prepared:
    """Make a template runnable for the caller over their scope (or a unit inside it).

    Refuses (ReportError / AccessDenied) a template not in force, retired fields, an org outside
    the scope, sensitive tags or unmasked output without clearance. `definition` runs an unsaved
    definition (editor preview) instead of a stored version; `columns` replaces a list
    template's columns (filling a department's own form), without groups or totals.
    """
    if definition is not None:
        if scope.role != "district_admin":
            raise AccessDenied("只有区数据局管理员可以预览未保存的模板")
        row = dict(definition)
        row["definition"] = dict(definition)
        row.setdefault("version", 0)
    else:
        row = template(scope, code, version)
        if version is None and not in_force(row):
            _fail(not_in_force_reason(row))
    defn = row["definition"]
    if columns is not None:
        if defn["kind"] != "list":
            _fail("统计表不能套用名册表样，请选择名册类报表")
        defn = {**defn, "columns": list(columns), "group_by": None, "totals": None}
        row = {**row, "definition": defn}
    org = scope.narrow(org_code)
    if masked is None:
        masked = not scope.clearance
    if not masked and not scope.clearance:
        raise AccessDenied("您的角色无权导出未脱敏的敏感信息")
    entity = defn["entity"]
    refs, _ = tags.reference(entity)
    prepared = Prepared(
        template={**row, "code": defn["code"], "name": defn["name"], "kind": defn["kind"]},
        scope=scope,
        org_code=org,
        masked=masked,
        columns=[],
        as_of=as_of or date.today(),
    )
    spec = {"entity": entity, **(defn.get("filter") or {}), "org_code": org}
    if defn["kind"] == "summary":
        _prepare_summary(prepared, defn, refs)
        return prepared
    prepared.columns = _plan_columns(defn, refs)
    try:
        fragment, params = tag_query.compile_filter(scope, spec, as_of=prepared.as_of)
    except tag_query.QueryError as exc:
        raise ReportError(f"报表“{defn['name']}”的筛选条件已失效：{exc}") from exc
    needed = ["e.id", "e.grid_code"]
    attr_params: dict[str, Any] = {}
    for col in prepared.columns:
        if col.source == "field":
            if col.ref.column:
                needed.append(f"e.{col.ref.column}")
            else:
                name = f"rp_attr{len(attr_params) + 1}"
                attr_params[name] = f"$.{col.ref.code}"
                needed.append(f"json_extract_string(e.attrs, ${name}) as {col.key}")
        elif col.source == "derived":
            wanted = DERIVED[col.key].needs
            if entity == "household":
                wanted = _HOUSEHOLD_NEEDS.get(col.key, wanted)
            needed += [f"e.{n}" for n in wanted]
    if entity == "resident" and defn.get("rows_of") == "household_members":
        needed += ["e.household_id", "e.relation_to_head"]
    select = ", ".join(dict.fromkeys(needed))
    table = tags.TABLES[entity]
    order = _order_sql(defn, entity, refs)
    if defn.get("rows_of") == "household_members":
        where = (
            "e.status = 'active' and starts_with(e.grid_code, $rp_org) and e.household_id in "
            f"(select e.household_id from {table} as e where {fragment})"
        )
        params = {**params, "rp_org": org}
    else:
        where = fragment
    params.update(attr_params)
    prepared.sql = f"select {select} from {table} as e where {where} order by {order}"
    prepared.count_sql = f"select count(*) from {table} as e where {where}"
    prepared.params = params
    prepared.count_params = {k: v for k, v in params.items() if not k.startswith("rp_attr")}
    prepared.group_by = defn.get("group_by")
    return prepared


def _order_sql(defn: Mapping[str, Any], entity: str, refs: Mapping[str, tags.FieldRef]) -> str:
    keys: list[str] = []
    if defn.get("group_by"):
        keys.append(f"substr(e.grid_code, 1, {LEVELS[defn['group_by']]})")
    if defn.get("rows_of") == "household_members":
        keys += ["e.grid_code", "e.household_id", "e.relation_to_head"]
    for key in defn.get("sort") or []:
        desc = key.startswith("-")
        name = key.lstrip("-")
        if name in ("community", "grid", "street"):
            sql = "e.grid_code"
        elif name == "household":
            sql = "e.household_id, e.relation_to_head"
        elif name == "age":
            sql = "e.birth_date"
            desc = not desc  # older first means earlier birth dates
        else:
            ref = refs.get(name)
            if ref is None or not ref.column:
                _fail(f"排序字段“{name}”已停用")
            sql = f"e.{ref.column}"
        keys.append(f"{sql}{' desc' if desc else ''} nulls last" if "," not in sql else sql)
    keys += ["e.grid_code", "e.id"] if not keys else ["e.id"]
    # Only whitelisted column names and fixed words reach the ORDER BY.
    for key in keys:
        if not re.fullmatch(r"[a-z_.(), 0-9]+", key):
            raise ValueError(f"unexpected order key {key!r}")
    return ", ".join(keys)


def _prepare_summary(prepared: Prepared, defn: Mapping[str, Any], refs) -> None:
    org = prepared.org_code
    level = defn.get("rows") or "next"
    if level == "next":
        level = catalog.next_level(org)
    if LEVELS[level] < len(org):
        level = catalog.next_level(org)
    codes = {r.code: r for r in refs.values() if r.code}
    columns = [Column(LEVEL_NAMES[level], "text", "unit", "unit")]
    measures = []
    for m in defn["measures"]:
        spec = {
            "entity": defn["entity"],
            "tags": m.get("tags") or {},
            "conditions": m.get("conditions") or [],
            "org_code": org,
        }
        plan = {"spec": spec, "expand": None, "sum": None, "first": len(columns) - 1}
        if m.get("expand"):
            ref = codes.get(m["expand"])
            if ref is None:
                _fail(f"报表“{defn['name']}”使用的字段“{m['expand']}”已停用，请联系管理员更新模板")
            items = tags.code_names(ref.code_list)
            plan["expand"] = (ref, list(items))
            for code_value, name in items.items():
                columns.append(Column(name, "int", "measure", code_value, m["header"], None, True))
        else:
            kind = "int"
            if m.get("sum"):
                ref = codes.get(m["sum"])
                if ref is None:
                    _fail(f"报表“{defn['name']}”使用的字段“{m['sum']}”已停用，请联系管理员更新模板")
                plan["sum"] = ref
                kind = "decimal" if ref.data_type == "decimal" else "int"
            columns.append(Column(m["header"], kind, "measure", "", m.get("group"), None, True))
        measures.append(plan)
    prepared.columns = columns
    prepared.measures = measures
    prepared.group_by = level
    for plan in measures:  # compile now: a sensitive tag or bad condition refuses before any work
        try:
            tag_query.compile_filter(prepared.scope, plan["spec"], as_of=prepared.as_of)
        except tag_query.QueryError as exc:
            raise ReportError(f"报表“{defn['name']}”的统计条件已失效：{exc}") from exc


def layout(prepared: Prepared) -> FormLayout:
    """The Excel layout of a prepared report (title, unit line, columns, totals, footer)."""
    defn = prepared.template["definition"]
    today = prepared.as_of
    totals = defn.get("totals")
    entity = defn["entity"]
    group_index = len(prepared.columns) if prepared.group_by and prepared.kind == "list" else None
    lay = defn.get("layout") or {}
    masked_note = (
        "（敏感信息已脱敏）"
        if prepared.masked and any(c.sensitive for c in prepared.columns)
        else ""
    )
    return FormLayout(
        title=title_of(defn, prepared.org_code, today),
        columns=[FormColumn(c.header, c.kind, c.group, c.total) for c in prepared.columns],
        unit=(catalog.org_path(prepared.org_code) or prepared.org_code).replace("/", "")
        + masked_note,
        period=f"截至{cn_date(today)}",
        seq=lay.get("seq", True),
        group_index=group_index,
        totals_label=(totals or {}).get("label") if totals else None,
        count_unit=catalog.ENTITY_UNITS[entity] if prepared.kind == "list" else "个单位",
        note=lay.get("note"),
        footer=lay.get("footer") or ("填表人", "审核人", "填报日期"),
        footer_values={"填报日期": cn_date(today)},
        orientation=lay.get("orientation"),
        sheet_name=defn["name"][:31],
        author=prepared.scope.name or prepared.scope.username,
        subject=f"{defn['name']}（{defn['code']} 第 {prepared.template.get('version', 0)} 版）",
        description=(
            f"由一表通报表中心于 {datetime.now():%Y-%m-%d %H:%M} 生成；生成人 {prepared.scope.username}；"
            f"范围 {catalog.org_label(prepared.org_code)}；{'已脱敏' if prepared.masked else '未脱敏'}"
        ),
        keywords=f"一表通 {defn['code']} v{prepared.template.get('version', 0)}",
    )


def filename(prepared: Prepared) -> str:
    """A download name: 报表名_单位_日期.xlsx (characters file systems refuse are dropped)."""
    unit = catalog.org_name(prepared.org_code) or prepared.org_code
    return file_name(f"{prepared.template['name']}_{unit}_{prepared.as_of:%Y%m%d}", ".xlsx")
