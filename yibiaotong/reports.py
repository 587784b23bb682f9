"""报表中心: versioned templates, one-click generation in scope, batch zip, run log, hours saved."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import duckdb
import pandas as pd
import yaml

from yibiaotong import auth, catalog, config, db, masking, tag_query, tags
from yibiaotong.excel import template_fill, upload
from yibiaotong.excel.report import (
    GENERATOR,
    FormColumn,
    FormError,
    FormLayout,
    FormResult,
    write_form,
)
from yibiaotong.scope import AccessDenied, Scope

REPORTS_DIR = config.CATALOG_DIR / "reports"
ENTITY_NAMES = tags.ENTITY_NAMES
ENTITY_UNITS = {"resident": "人", "household": "户", "house": "套", "shop": "家"}
FREQUENCIES = {
    "daily": "日报",
    "weekly": "周报",
    "monthly": "月报",
    "quarterly": "季报",
    "half_yearly": "半年报",
    "yearly": "年报",
    "on_demand": "按需",
}
KINDS = {"list": "名册", "summary": "统计表"}
STATUSES = {"active": "在用", "retired": "已停用"}
LEVELS = {"street": 9, "community": 12, "grid": 15}
LEVEL_NAMES = {"street": "街道", "community": "社区", "grid": "网格"}
_NEXT_LEVEL = {6: "street", 9: "community", 12: "grid", 15: "grid"}
MAX_COLUMNS = 40
MAX_MEASURES = 40
PREVIEW_ROWS = 20
BATCH = 2000
_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,47}$")
_EXCEL_KINDS = {
    "int": "int",
    "decimal": "decimal",
    "date": "date",
    "id_number": "id",
    "phone": "id",
    "uscc": "id",
}
_TEMPLATE_KEYS = {
    "code",
    "version",
    "name",
    "department",
    "frequency",
    "entity",
    "kind",
    "status",
    "valid_from",
    "valid_to",
    "manual_minutes",
    "description",
    "title",
    "filter",
    "rows_of",
    "columns",
    "sort",
    "group_by",
    "totals",
    "rows",
    "measures",
    "layout",
}
_REQUIRED_KEYS = ("code", "version", "name", "department", "frequency", "entity", "manual_minutes")
_LAYOUT_KEYS = {"orientation", "footer", "note", "seq"}
FOOTER_LABELS = ("填表人", "审核人", "负责人", "联系电话", "填报日期")


class ReportError(ValueError):
    """A template or request the report centre refuses; the message is Chinese."""


@dataclass(frozen=True)
class Derived:
    """A computed column from the whitelist: label, entities it applies to, Excel kind."""

    label: str
    entities: tuple[str, ...]
    kind: str = "text"
    needs: tuple[str, ...] = ()  # entity columns it is computed from


DERIVED: dict[str, Derived] = {
    "age": Derived("年龄", ("resident",), "int", ("birth_date",)),
    "street": Derived("所属街道", ("resident", "household", "house", "shop")),
    "community": Derived("所属社区", ("resident", "household", "house", "shop")),
    "grid": Derived("所属网格", ("resident", "household", "house", "shop")),
    "household_no": Derived("户号", ("resident",), "text", ("household_id",)),
    "head_name": Derived("户主姓名", ("resident", "household"), "text", ("household_id",)),
    "member_count": Derived("家庭人口数", ("resident", "household"), "int", ("household_id",)),
    "mother_name": Derived("母亲姓名", ("resident",), "text", ("mother_id",)),
    "father_name": Derived("父亲姓名", ("resident",), "text", ("father_id",)),
    "childcare_subsidy": Derived("育儿补助（元）", ("resident",), "money", ("birth_order",)),
    "elderly_allowance": Derived("高龄津贴（元/月）", ("resident",), "money", ("birth_date",)),
    "occupant_count": Derived("居住人数", ("house",), "int"),
}
# Derived values of a household come from the household itself, not from a resident's one.
_HOUSEHOLD_NEEDS = {"head_name": (), "member_count": ()}


@dataclass(frozen=True)
class Column:
    """One planned report column."""

    header: str
    kind: str  # Excel kind
    source: str  # field | derived | blank
    key: str  # column name, derived name or ""
    group: str | None = None
    ref: tags.FieldRef | None = None
    total: bool = False
    bands: tuple[tuple[int, float], ...] = ()

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


@dataclass(frozen=True)
class RunResult:
    code: str
    version: int
    name: str
    rows: int
    seconds: float
    file_hash: str
    minutes_saved: int
    masked: bool
    run_id: int | None  # None in a batch: its runs are logged together once delivered
    filename: str
    streamed: bool = False


# ---------------------------------------------------------------------------------------------
# Template definitions: validation (catalogue YAML and editor alike)


def _fail(message: str) -> None:
    raise ReportError(message)


def _as_date(value: Any, what: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        _fail(f"{what}应为日期（YYYY-MM-DD），而不是“{value}”")
    return None


@dataclass(frozen=True)
class Standard:
    """What a definition is checked against: fields, tags and departments in force."""

    refs: dict[str, dict[str, tags.FieldRef]]
    code_values: dict[str, dict[str, dict[str, str]]]
    tag_entities: dict[str, str]
    departments: dict[str, str]


def standard(cur: duckdb.DuckDBPyConnection | None = None) -> Standard:
    """The field standard, tags and departments currently in force (on `cur` when loading)."""
    refs, values = {}, {}
    for entity in catalog.ENTITIES:
        if cur is None:
            refs[entity], values[entity] = tags.reference(entity)
        else:
            refs[entity] = tags.field_refs(entity, cur)
            values[entity] = tags._code_values(refs[entity], cur)
    if cur is None:
        tag_rows = [(t["code"], t["entity"]) for t in tags.tag_index()]
        departments = catalog.departments()
    else:
        tag_rows = db.run(cur, "reports/active_tags").fetchall()
        departments = dict(db.run(cur, "catalog/departments").fetchall())
    return Standard(refs, values, dict(tag_rows), departments)


def _field_codes(entity: str, std: Standard) -> dict[str, tags.FieldRef]:
    """Field-standard codes (not column names) of one entity, for template columns."""
    return {r.code: r for r in std.refs[entity].values() if r.code}


def _check_spec(entity: str, spec: Any, std: Standard, where: str) -> dict[str, Any]:
    if spec is None:
        spec = {}
    if not isinstance(spec, Mapping) or set(spec) - {"tags", "conditions"}:
        _fail(f"{where}筛选条件只能包含 tags 与 conditions")
    raw_tags = spec.get("tags") or {}
    if not isinstance(raw_tags, Mapping) or set(raw_tags) - set(tag_query.TAG_MODES):
        _fail(f"{where}标签条件只能分为 all / any / none 三组")
    chosen = {}
    for mode in tag_query.TAG_MODES:
        items = list(raw_tags.get(mode) or [])
        for item in items:
            if std.tag_entities.get(item) is None:
                _fail(f"{where}标签“{item}”不存在或已停用")
            if std.tag_entities[item] != entity:
                _fail(f"{where}标签“{item}”不属于{ENTITY_NAMES[entity]}")
        chosen[mode] = items
    conditions = list(spec.get("conditions") or [])
    comp = tags.Compiler(entity, std.refs[entity], std.code_values[entity], "chk_")
    for number, cond in enumerate(conditions, start=1):
        try:
            comp.condition(cond, number)
        except tags.RuleError as exc:
            _fail(f"{where}{exc}")
    return {"tags": chosen, "conditions": [dict(c) for c in conditions]}


def _check_columns(entity: str, raw: Any, std: Standard) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        _fail("名册至少需要一列")
    if len(raw) > MAX_COLUMNS:
        _fail(f"名册最多 {MAX_COLUMNS} 列")
    fields = _field_codes(entity, std)
    out = []
    for number, item in enumerate(raw, start=1):
        where = f"第 {number} 列："
        if not isinstance(item, Mapping):
            _fail(f"{where}格式应为 {{field 或 derived 或 blank, header}}")
        sources = [k for k in ("field", "derived", "blank") if item.get(k)]
        if len(sources) != 1 or set(item) - {
            "field",
            "derived",
            "blank",
            "header",
            "group",
            "bands",
        }:
            _fail(f"{where}须且只能指定 field、derived、blank 之一（可带 header、group）")
        source = sources[0]
        header = item.get("header")
        if source == "field":
            ref = fields.get(item["field"])
            if ref is None:
                _fail(f"{where}字段“{item['field']}”不在{ENTITY_NAMES[entity]}的字段标准中或已停用")
            header = header or ref.label
        elif source == "derived":
            d = DERIVED.get(item["derived"])
            if d is None or entity not in d.entities:
                _fail(f"{where}派生列“{item['derived']}”不可用于{ENTITY_NAMES[entity]}")
            header = header or d.label
        else:
            if not isinstance(header, str) or not header.strip():
                _fail(f"{where}空白列需要表头文字")
        if not isinstance(header, str) or not header.strip() or len(header) > 40:
            _fail(f"{where}表头文字应为 1–40 个字")
        group = item.get("group")
        if group is not None and (
            not isinstance(group, str) or not group.strip() or len(group) > 40
        ):
            _fail(f"{where}上级表头应为 1–40 个字")
        column = {source: item[source] if source != "blank" else True, "header": header.strip()}
        if group:
            column["group"] = group.strip()
        if "bands" in item:
            if item.get("derived") != "elderly_allowance":
                _fail(f"{where}只有高龄津贴列可以设置 bands")
            column["bands"] = _check_bands(item["bands"], where)
        elif item.get("derived") == "elderly_allowance":
            _fail(f"{where}高龄津贴列需要 bands：[[起始年龄, 每月金额], …]")
        out.append(column)
    return out


def _check_bands(raw: Any, where: str) -> list[list[float]]:
    if not isinstance(raw, list) or not raw:
        _fail(f"{where}bands 应为 [[起始年龄, 金额], …]")
    bands = []
    for band in raw:
        if (
            not isinstance(band, list | tuple)
            or len(band) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in band)
            or not 0 <= band[0] <= 150
            or band[1] < 0
        ):
            _fail(f"{where}bands 的每一档应为 [起始年龄, 金额]")
        bands.append([int(band[0]), band[1]])
    return sorted(bands)


def _sort_keys(entity: str, std: Standard) -> set[str]:
    keys = {"community", "grid", "street"}
    keys |= {r.code for r in std.refs[entity].values() if r.code and r.column}
    if entity == "resident":
        keys |= {"age", "household"}
    return keys


def _check_measures(entity: str, raw: Any, std: Standard) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        _fail("统计表至少需要一个统计项")
    if len(raw) > MAX_MEASURES:
        _fail(f"统计表最多 {MAX_MEASURES} 个统计项")
    fields = _field_codes(entity, std)
    out = []
    for number, item in enumerate(raw, start=1):
        where = f"统计项 {number}："
        allowed = {"header", "group", "tags", "conditions", "expand", "sum"}
        if not isinstance(item, Mapping) or set(item) - allowed:
            _fail(f"{where}只能包含 {', '.join(sorted(allowed))}")
        header = item.get("header")
        if not isinstance(header, str) or not header.strip() or len(header) > 40:
            _fail(f"{where}表头文字应为 1–40 个字")
        measure = {"header": header.strip()}
        if item.get("group"):
            measure["group"] = str(item["group"]).strip()
        spec = _check_spec(
            entity, {k: item[k] for k in ("tags", "conditions") if k in item}, std, where
        )
        measure.update(spec)
        if item.get("expand"):
            ref = fields.get(item["expand"])
            if ref is None or not ref.code_list or not ref.column:
                _fail(f"{where}只能按代码型字段展开（如性别、人口类型），“{item['expand']}”不行")
            measure["expand"] = item["expand"]
        if item.get("sum"):
            ref = fields.get(item["sum"])
            if ref is None or ref.data_type not in ("int", "decimal") or not ref.column:
                _fail(f"{where}只能对数值字段求和，“{item['sum']}”不行")
            if item.get("expand"):
                _fail(f"{where}展开与求和不能同时使用")
            measure["sum"] = item["sum"]
        out.append(measure)
    return out


def check_definition(data: Any, std: Standard | None = None) -> dict[str, Any]:
    """Validate a template definition and return it canonical; raise ReportError (Chinese)."""
    std = std or standard()
    if not isinstance(data, Mapping):
        _fail("模板格式不正确")
    unknown = set(data) - _TEMPLATE_KEYS
    if unknown:
        _fail(f"模板中有不认识的项：{'、'.join(sorted(map(str, unknown)))}")
    missing = [k for k in _REQUIRED_KEYS if data.get(k) in (None, "")]
    if missing:
        _fail(f"模板缺少：{'、'.join(missing)}")
    code = data["code"]
    if not isinstance(code, str) or not _CODE_RE.match(code):
        _fail("模板编码应为 2–48 位小写字母、数字或下划线，以字母开头")
    version = data["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        _fail("版本号应为正整数")
    name = data["name"]
    if not isinstance(name, str) or not 2 <= len(name.strip()) <= 60:
        _fail("报表名称应为 2–60 个字")
    if data["department"] not in std.departments:
        _fail(f"未知的部门“{data['department']}”")
    if data["frequency"] not in FREQUENCIES:
        _fail(f"报送频次应为 {'、'.join(FREQUENCIES)} 之一")
    entity = data["entity"]
    if entity not in ENTITY_NAMES:
        _fail(f"未知的对象“{entity}”")
    kind = data.get("kind") or "list"
    if kind not in KINDS:
        _fail("报表类型应为 list（名册）或 summary（统计表）")
    status = data.get("status") or "active"
    if status not in STATUSES:
        _fail("状态应为 active 或 retired")
    minutes = data["manual_minutes"]
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 <= minutes <= 10_000:
        _fail("人工填报耗时（分钟）应为 0–10000 的整数")
    valid_from = _as_date(data.get("valid_from"), "生效日期")
    valid_to = _as_date(data.get("valid_to"), "失效日期")
    if valid_from and valid_to and valid_from > valid_to:
        _fail("生效日期不能晚于失效日期")
    out: dict[str, Any] = {
        "code": code,
        "version": version,
        "name": name.strip(),
        "department": data["department"],
        "frequency": data["frequency"],
        "entity": entity,
        "kind": kind,
        "status": status,
        "valid_from": valid_from.isoformat() if valid_from else None,
        "valid_to": valid_to.isoformat() if valid_to else None,
        "manual_minutes": minutes,
    }
    for key in ("description", "title"):
        value = data.get(key)
        if value is not None:
            if not isinstance(value, str) or len(value) > 300:
                _fail(f"{key} 应为不超过 300 字的文字")
            out[key] = value.strip()
    out["filter"] = _check_spec(entity, data.get("filter"), std, "筛选条件：")
    layout = data.get("layout") or {}
    if not isinstance(layout, Mapping) or set(layout) - _LAYOUT_KEYS:
        _fail(f"layout 只能包含 {', '.join(sorted(_LAYOUT_KEYS))}")
    if layout.get("orientation") not in (None, "portrait", "landscape"):
        _fail("纸张方向应为 portrait 或 landscape")
    footer = layout.get("footer", list(FOOTER_LABELS[:2]) + ["填报日期"])
    if not isinstance(footer, list) or not set(footer) <= set(FOOTER_LABELS):
        _fail(f"表尾只能包含 {'、'.join(FOOTER_LABELS)}")
    out["layout"] = {
        "orientation": layout.get("orientation"),
        "footer": footer,
        "note": str(layout["note"]).strip() if layout.get("note") else None,
        "seq": bool(layout.get("seq", True)),
    }
    if kind == "list":
        if data.get("measures") or data.get("rows"):
            _fail("名册不能设置 measures / rows")
        out["columns"] = _check_columns(entity, data.get("columns"), std)
        rows_of = data.get("rows_of")
        if rows_of not in (None, "household_members"):
            _fail("rows_of 只能是 household_members")
        if rows_of and entity != "resident":
            _fail("只有人口名册可以按户列出全部成员")
        out["rows_of"] = rows_of
        sort = data.get("sort") or []
        if isinstance(sort, str):
            sort = [sort]
        keys = _sort_keys(entity, std)
        for key in sort:
            if not isinstance(key, str) or key.lstrip("-") not in keys:
                _fail(f"不支持的排序“{key}”")
        out["sort"] = list(sort)
        group_by = data.get("group_by")
        if group_by not in (None, "street", "community", "grid"):
            _fail("分组小计只能按 street、community 或 grid")
        out["group_by"] = group_by
        totals = data.get("totals")
        if totals is not None:
            if not isinstance(totals, Mapping) or set(totals) - {"label", "sum"}:
                _fail("totals 只能包含 label 与 sum")
            summable = {
                c.get("field") or c.get("derived")
                for c in out["columns"]
                if _column_kind(entity, c, std) in ("int", "decimal", "money")
            }
            sums = list(totals.get("sum") or [])
            bad = [s for s in sums if s not in summable]
            if bad:
                _fail(f"合计只能对名册中的数值列求和：{'、'.join(map(str, bad))}")
            out["totals"] = {"label": str(totals.get("label") or "合计"), "sum": sums}
        else:
            out["totals"] = None
    else:
        if data.get("columns") or data.get("rows_of") or data.get("group_by"):
            _fail("统计表不能设置 columns / rows_of / group_by")
        rows = data.get("rows") or "next"
        if rows not in ("next", *LEVELS):
            _fail("统计表的行只能按 next、street、community 或 grid")
        out["rows"] = rows
        out["measures"] = _check_measures(entity, data.get("measures"), std)
        out["totals"] = {"label": "合计", "sum": []}
    return out


def _column_kind(entity: str, column: Mapping[str, Any], std: Standard | None = None) -> str:
    if column.get("field"):
        refs = (
            _field_codes(entity, std)
            if std
            else {r.code: r for r in tags.reference(entity)[0].values() if r.code}
        )
        ref = refs.get(column["field"])
        return _EXCEL_KINDS.get(ref.data_type, "text") if ref else "text"
    if column.get("derived"):
        return DERIVED[column["derived"]].kind
    return "text"


# ---------------------------------------------------------------------------------------------
# Catalogue files and loading


def read_files(directory: Path | str | None = None) -> list[tuple[str, Any]]:
    """(file name, parsed YAML) of every data/catalog/reports/*.yaml, in name order."""
    directory = Path(directory or REPORTS_DIR)
    out = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            out.append(
                (
                    path.name,
                    yaml.load(path.read_text(encoding="utf-8"), Loader=catalog._UniqueKeyLoader),
                )
            )
        except yaml.YAMLError as exc:
            raise catalog.CatalogError(f"reports/{path.name}", "YAML", str(exc)) from exc
    return out


def _definition_json(defn: Mapping[str, Any]) -> str:
    return json.dumps(defn, ensure_ascii=False, sort_keys=True)


def insert_version(
    cur,
    defn: Mapping[str, Any],
    source: str,
    created_by: str,
    catalog_version: int | None = None,
    offer: str | None = None,
) -> None:
    db.run(
        cur,
        "reports/insert_template",
        code=defn["code"],
        version=defn["version"],
        name=defn["name"],
        department=defn["department"],
        frequency=defn["frequency"],
        entity=defn["entity"],
        kind=defn["kind"],
        status=defn["status"],
        valid_from=defn["valid_from"],
        valid_to=defn["valid_to"],
        manual_minutes=defn["manual_minutes"],
        definition=_definition_json(defn),
        source=source,
        created_by=created_by,
        catalog_version=catalog_version,
        offer=offer,
    )


def _content(defn: Mapping[str, Any]) -> str:
    """A definition without its version number (a catalogue version may be stored under another)."""
    return _definition_json({k: v for k, v in defn.items() if k != "version"})


def load_reports(cur: duckdb.DuckDBPyConnection, directory: Path | str | None = None) -> int:
    """Validate data/catalog/reports/*.yaml and store catalogue versions not stored yet; run it
    inside the caller's transaction, after catalog.load_catalog. Idempotent, and it changes
    nothing made in the console: a stored version is never changed; a new catalogue version of
    a template whose version in use was made in the template editor is stored as an offer
    ('pending') for the admin instead of being put in use, under the next free number if the
    editor took the file's. A file whose content differs from the catalogue version it names
    must raise its version. Returns the number of templates in the files."""
    std = standard(cur)
    stored: dict[str, list[dict[str, Any]]] = {}
    for code, version, d, source, catalog_version, offer in db.run(
        cur, "reports/template_versions"
    ).fetchall():
        stored.setdefault(code, []).append(
            {
                "version": version,
                "definition": json.loads(d) if isinstance(d, str) else d,
                "source": source,
                "catalog_version": catalog_version,
                "offer": offer,
            }
        )
    seen: set[str] = set()
    for file, data in read_files(directory):
        entry = data.get("code", "?") if isinstance(data, Mapping) else "?"
        try:
            defn = check_definition(data, std)
        except ReportError as exc:
            raise catalog.CatalogError(f"reports/{file}", str(entry), str(exc)) from exc
        if defn["code"] in seen:
            raise catalog.CatalogError(f"reports/{file}", defn["code"], "duplicate template code")
        seen.add(defn["code"])
        versions = stored.get(defn["code"], [])
        from_file = defn["version"]
        same = [v for v in versions if v["catalog_version"] == from_file]
        if same:
            if _content(same[0]["definition"]) != _content(defn):
                raise catalog.CatalogError(
                    f"reports/{file}",
                    defn["code"],
                    f"version {from_file} is already stored with other content (by an earlier "
                    "file); raise `version` above the highest stored one",
                )
            continue
        if any((v["catalog_version"] or 0) > from_file for v in versions):
            continue  # an older file than one already loaded
        in_use = max(
            (v for v in versions if v["offer"] is None), key=lambda v: v["version"], default=None
        )
        numbers = {v["version"] for v in versions}
        number = from_file if from_file not in numbers else max(numbers) + 1
        offer = "pending" if in_use is not None and in_use["source"] == "editor" else None
        insert_version(
            cur,
            {**defn, "version": number},
            "catalog",
            "catalog",
            catalog_version=from_file,
            offer=offer,
        )
    return len(seen)


# ---------------------------------------------------------------------------------------------
# Reading templates


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    if isinstance(row.get("definition"), str):
        row["definition"] = json.loads(row["definition"])
    return row


def in_force(template: Mapping[str, Any], today: date | None = None) -> bool:
    today = today or date.today()
    return (
        template["status"] == "active"
        and (template["valid_from"] is None or template["valid_from"] <= today)
        and (template["valid_to"] is None or today <= template["valid_to"])
    )


def templates(
    scope: Scope,
    department: str | None = None,
    frequency: str | None = None,
    search: str | None = None,
    entity: str | None = None,
    include_inactive: bool = False,
) -> list[dict[str, Any]]:
    """Current versions of the templates, filtered; each with `runnable` and `blocked_by` (why the
    caller cannot run it, e.g. a sensitive tag without clearance) and `in_force`."""
    rows = [_decode(r) for r in db.fetch_dicts("reports/list_templates")]
    search = (search or "").strip().lower()
    sensitive = {t["code"] for t in tags.tag_index() if t["sensitivity"] == "sensitive"}
    out = []
    for row in rows:
        row["in_force"] = in_force(row)
        if not include_inactive and not row["in_force"]:
            continue
        if department and row["department"] != department:
            continue
        if frequency and row["frequency"] != frequency:
            continue
        if entity and row["entity"] != entity:
            continue
        defn = row["definition"]
        if search and not any(
            search in str(text).lower()
            for text in (
                row["name"],
                row["code"],
                row["department_name"],
                defn.get("description", ""),
            )
        ):
            continue
        row["frequency_name"] = FREQUENCIES.get(row["frequency"], row["frequency"])
        row["kind_name"] = KINDS.get(row["kind"], row["kind"])
        row["entity_name"] = ENTITY_NAMES.get(row["entity"], row["entity"])
        row["description"] = defn.get("description", "")
        row["blocked_by"] = None if scope.clearance else _needs_clearance(defn, sensitive)
        row["runnable"] = row["in_force"] and row["blocked_by"] is None
        out.append(row)
    return out


def _needs_clearance(defn: Mapping[str, Any], sensitive_tags: set[str]) -> str | None:
    """Why an uncleared caller cannot run this template: sensitive tags or condition fields."""
    used = _tags_of(defn) & sensitive_tags
    if used:
        names = {t["code"]: t["name"] for t in tags.tag_index()}
        return f"涉及敏感人群（{'、'.join(names[c] for c in sorted(used))}），需要敏感信息查看权限"
    refs, _ = tags.reference(defn["entity"])
    specs = [defn.get("filter") or {}] + list(defn.get("measures") or [])
    fields = {c.get("field") for s in specs for c in s.get("conditions") or []}
    hidden = sorted({refs[f].label for f in fields if f in refs and refs[f].sensitive})
    if hidden:
        return f"按敏感字段（{'、'.join(hidden)}）筛选，需要敏感信息查看权限"
    return None


def _tags_of(defn: Mapping[str, Any]) -> set[str]:
    specs = [defn.get("filter") or {}] + list(defn.get("measures") or [])
    return {
        t
        for s in specs
        for mode in ("all", "any", "none")
        for t in (s.get("tags") or {}).get(mode, [])
    }


def template(code: str, version: int | None = None) -> dict[str, Any]:
    """One template version (the current one when version is None); ReportError if absent."""
    rows = db.fetch_dicts("reports/get_template", code=code, version=version)
    if not rows:
        _fail(f"报表模板“{code}”不存在" + (f"（版本 {version}）" if version else ""))
    return _decode(rows[0])


def history(code: str) -> list[dict[str, Any]]:
    """All versions of one template, newest first, with their run counts."""
    return db.fetch_dicts("reports/template_history", code=code)


def departments_with_templates(scope: Scope) -> dict[str, str]:
    """Department code → name of departments that have templates in force."""
    return {t["department"]: t["department_name"] for t in templates(scope)}


# ---------------------------------------------------------------------------------------------
# Preparing a run


def _period(frequency: str, today: date) -> str:
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


def _cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _title(defn: Mapping[str, Any], org_code: str, today: date) -> str:
    unit = catalog.org_name(org_code) or org_code
    pattern = defn.get("title") or "{单位}{期间}" + defn["name"]
    # Plain token replacement: a title typed in the editor is never run through str.format.
    for token, value in (
        ("{单位}", unit),
        ("{期间}", _period(defn["frequency"], today)),
        ("{年}", str(today.year)),
        ("{月}", str(today.month)),
    ):
        pattern = pattern.replace(token, value)
    return pattern


def _plan_columns(defn: Mapping[str, Any], refs: Mapping[str, tags.FieldRef]) -> list[Column]:
    codes = {r.code: r for r in refs.values() if r.code}
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
            kind = _EXCEL_KINDS.get(ref.data_type, "text")
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
        else:
            out.append(Column(c["header"], "text", "blank", "", c.get("group")))
    return out


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
        row = dict(definition)
        row["definition"] = dict(definition)
        row.setdefault("version", 0)
    else:
        row = template(code, version)
        if version is None and not in_force(row):
            _fail(f"报表“{row['name']}”已停用或不在有效期内")
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
        level = _NEXT_LEVEL.get(len(org), "grid")
    if LEVELS[level] < len(org):
        level = _NEXT_LEVEL.get(len(org), "grid")
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


# ---------------------------------------------------------------------------------------------
# Rows


def count(prepared: Prepared, cur: duckdb.DuckDBPyConnection | None = None) -> int:
    """Rows the report will have (units for a summary)."""
    if prepared.kind == "summary":
        return len(_units(prepared))
    if cur is None:
        with db.cursor() as c:
            return count(prepared, c)
    return cur.execute(prepared.count_sql, prepared.count_params).fetchone()[0]


def _org_names(org_code: str) -> dict[str, str]:
    return tags.cached(
        "report_org_names",
        lambda o: {u["code"]: u["name"] for u in catalog.org_units_under(o)},
        org_code[:6],
    )


def _lookup(cur, name: str, ids: Sequence[int], bounded: bool = False) -> list[tuple]:
    ids = sorted({i for i in ids if i is not None})
    if not ids:
        return []
    if bounded:
        return db.run(cur, name, ids=ids, lo=ids[0], hi=ids[-1]).fetchall()
    return db.run(cur, name, ids=ids).fetchall()


def _age(born: date | None, today: date) -> int | None:
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _allowance(age: int | None, bands: Sequence[tuple[int, float]]) -> float | None:
    if age is None:
        return None
    amount = None
    for lo, value in bands:
        if age >= lo:
            amount = value
    return amount


def _present_batch(
    prepared: Prepared,
    cur: duckdb.DuckDBPyConnection,
    names: Sequence[str],
    batch: Sequence[tuple],
    orgs: Mapping[str, str],
    code_names: Mapping[str, Mapping[str, str]],
) -> Iterator[list[Any]]:
    """Display rows (one value per column, then the group key) for one fetched batch."""
    entity = prepared.template["definition"]["entity"]
    records = [dict(zip(names, row, strict=True)) for row in batch]
    wanted = {c.key for c in prepared.columns if c.source == "derived"}
    households: dict[int, tuple] = {}
    people: dict[int, str] = {}
    occupants: dict[int, int] = {}
    if wanted & {"household_no", "head_name", "member_count"}:
        if entity == "resident":
            rows = _lookup(
                cur, "reports/household_info", [r["household_id"] for r in records], True
            )
            households = {h[0]: h for h in rows}
        else:
            rows = _lookup(cur, "reports/household_info", [r["id"] for r in records], True)
            households = {h[0]: h for h in rows}
    if wanted & {"mother_name", "father_name"}:
        ids = [r.get("mother_id") for r in records] + [r.get("father_id") for r in records]
        people = dict(_lookup(cur, "reports/resident_names", ids))
    if "occupant_count" in wanted:
        occupants = dict(_lookup(cur, "reports/house_occupants", [r["id"] for r in records], True))
    today = prepared.as_of
    masked = prepared.masked
    level = LEVELS.get(prepared.group_by or "", 0)
    for r in records:
        grid = r["grid_code"] or ""
        household = households.get(r.get("household_id") if entity == "resident" else r["id"])
        out: list[Any] = []
        for c in prepared.columns:
            if c.source == "blank":
                value = None
            elif c.source == "field":
                value = r.get(c.key)
                if c.ref.code_list and value is not None:
                    value = code_names[c.key].get(str(value), value)
                if c.sensitive and masked and value is not None:
                    value = masking.mask_value(
                        "code" if c.ref.code_list else c.ref.data_type, value
                    )
            else:
                key = c.key
                if key == "age":
                    value = _age(r.get("birth_date"), today)
                elif key == "street":
                    value = orgs.get(grid[:9])
                elif key == "community":
                    value = orgs.get(grid[:12])
                elif key == "grid":
                    value = orgs.get(grid)
                elif key == "household_no":
                    value = household[1] if household else None
                elif key == "head_name":
                    value = household[2] if household else None
                elif key == "member_count":
                    value = household[3] if household else None
                elif key == "mother_name":
                    value = people.get(r.get("mother_id"))
                elif key == "father_name":
                    value = people.get(r.get("father_id"))
                elif key == "childcare_subsidy":
                    value = tag_query.subsidy_for(r.get("birth_order"))
                elif key == "elderly_allowance":
                    value = _allowance(_age(r.get("birth_date"), today), c.bands)
                elif key == "occupant_count":
                    value = occupants.get(r["id"], 0)
                else:
                    value = None
            out.append(value)
        out.append(orgs.get(grid[:level], grid[:level]) if level else None)
        yield out


def iter_rows(
    prepared: Prepared, cur: duckdb.DuckDBPyConnection | None = None, limit: int | None = None
) -> Iterator[list[Any]]:
    """Every report row, presented (code names, masking, derived values), fetched in batches.
    Each row has one value per column plus a trailing group key (org name or None)."""
    if prepared.kind == "summary":
        yield from _summary_rows(prepared)
        return
    orgs = _org_names(prepared.org_code)
    sql = prepared.sql
    params = dict(prepared.params)
    if limit is not None:
        sql += " limit $rp_limit"
        params["rp_limit"] = int(limit)
    if cur is None:
        with db.cursor() as main, db.cursor() as look:
            yield from _iterate(prepared, main, look, sql, params, orgs)
    else:
        with db.cursor() as look:
            yield from _iterate(prepared, cur, look, sql, params, orgs)


def _iterate(prepared, main, look, sql, params, orgs) -> Iterator[list[Any]]:
    code_names = {
        c.key: tags.code_names(c.ref.code_list)
        for c in prepared.columns
        if c.ref and c.ref.code_list
    }
    rel = main.execute(sql, params)
    names = [d[0] for d in rel.description]
    while batch := rel.fetchmany(BATCH):
        yield from _present_batch(prepared, look, names, batch, orgs, code_names)


def _units(prepared: Prepared) -> list[dict[str, Any]]:
    org = prepared.org_code
    level = prepared.group_by
    if LEVELS[level] <= len(org):
        unit = catalog.org_unit(org)
        return [unit] if unit else []
    return catalog.org_units_under(org, level)


def _summary_rows(prepared: Prepared) -> Iterator[list[Any]]:
    length = LEVELS[prepared.group_by]
    units = _units(prepared)
    values: dict[str, list[Any]] = {u["code"]: [0] * (len(prepared.columns) - 1) for u in units}
    table = tags.TABLES[prepared.template["definition"]["entity"]]
    with db.cursor() as cur:
        for number, plan in enumerate(prepared.measures):
            fragment, params = tag_query.compile_filter(
                prepared.scope, plan["spec"], prefix=f"m{number}_", as_of=prepared.as_of
            )
            params = {**params, "rp_len": length}
            if plan["expand"]:
                ref, items = plan["expand"]
                sql = (
                    f"select substr(e.grid_code, 1, $rp_len), e.{ref.column}, count(*) "
                    f"from {table} as e where {fragment} group by 1, 2"
                )
                for unit, code_value, n in cur.execute(sql, params).fetchall():
                    if unit in values and code_value in items:
                        values[unit][plan["first"] + items.index(code_value)] = n
            else:
                agg = f"coalesce(sum(e.{plan['sum'].column}), 0)" if plan["sum"] else "count(*)"
                sql = (
                    f"select substr(e.grid_code, 1, $rp_len), {agg} "
                    f"from {table} as e where {fragment} group by 1"
                )
                for unit, n in cur.execute(sql, params).fetchall():
                    if unit in values:
                        values[unit][plan["first"]] = (
                            float(n) if plan["sum"] and plan["sum"].data_type == "decimal" else n
                        )
    for u in units:
        yield [u["name"], *values[u["code"]], None]


def headers(prepared: Prepared) -> list[str]:
    """Column headers as shown in previews (parent › child for grouped columns)."""
    return [f"{c.group} › {c.header}" if c.group else c.header for c in prepared.columns]


def preview(prepared: Prepared, n: int = PREVIEW_ROWS) -> tuple[pd.DataFrame, int]:
    """The first `n` rows (with 序号) as a DataFrame, and the full row count, from one snapshot."""
    with db.cursor() as cur:
        cur.execute("begin transaction")
        try:
            total = count(prepared, cur)
            rows = (
                list(iter_rows(prepared, cur, limit=n))
                if prepared.kind == "list"
                else list(iter_rows(prepared))[:n]
            )
        finally:
            cur.execute("rollback")
    labels = headers(prepared)
    frame = pd.DataFrame([r[: len(labels)] for r in rows], columns=labels)
    frame.insert(0, "序号", range(1, len(frame) + 1))
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(lambda v: v.isoformat() if isinstance(v, date) else v)
    return frame, total


# ---------------------------------------------------------------------------------------------
# Generating


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
        title=_title(defn, prepared.org_code, today),
        columns=[FormColumn(c.header, c.kind, c.group, c.total) for c in prepared.columns],
        unit=(catalog.org_path(prepared.org_code) or prepared.org_code).replace("/", "")
        + masked_note,
        period=f"截至{_cn_date(today)}",
        seq=lay.get("seq", True),
        group_index=group_index,
        totals_label=(totals or {}).get("label") if totals else None,
        count_unit=ENTITY_UNITS[entity] if prepared.kind == "list" else "个单位",
        note=lay.get("note"),
        footer=lay.get("footer") or ("填表人", "审核人", "填报日期"),
        footer_values={"填报日期": _cn_date(today)},
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
    """A download name: 报表名_单位_日期.xlsx (characters Windows refuses are dropped)."""
    unit = catalog.org_name(prepared.org_code) or prepared.org_code
    name = f"{prepared.template['name']}_{unit}_{prepared.as_of:%Y%m%d}.xlsx"
    return re.sub(r'[\\/:*?"<>|\s]+', "", name)


def _write(
    prepared: Prepared, out: IO[bytes], stream_above: int | None = None, limit: int | None = None
) -> FormResult:
    """Write the workbook to `out` from one read snapshot (the count picks the Excel mode)."""
    with db.cursor() as cur:
        cur.execute("begin transaction")
        try:
            total = count(prepared, cur)
            if limit is not None:
                total = min(total, limit)
            kwargs = {} if stream_above is None else {"stream_above": stream_above}
            rows = iter_rows(prepared, cur, limit=limit)
            return write_form(out, layout(prepared), rows, row_count=total, **kwargs)
        except FormError as exc:
            raise ReportError(str(exc)) from exc
        finally:
            cur.execute("rollback")


def _log_run(
    prepared: Prepared, rows: int, seconds: float, file_hash: str, batch_id: str | None
) -> int:
    with db.transaction() as cur:
        return _insert_run(cur, prepared, rows, seconds, file_hash, batch_id)


def _insert_run(
    cur, prepared: Prepared, rows: int, seconds: float, file_hash: str, batch_id: str | None
) -> int:
    defn = prepared.template["definition"]
    detail = (
        f"{defn['name']}（{defn['code']} v{prepared.template['version']}）"
        f"{catalog.org_label(prepared.org_code)} {rows} 行，{'已脱敏' if prepared.masked else '未脱敏'}"
    )
    run_id = db.run(
        cur,
        "reports/insert_run",
        username=prepared.scope.username,
        template_code=defn["code"],
        template_version=prepared.template["version"],
        org_code=prepared.org_code,
        rows=rows,
        seconds=round(seconds, 3),
        file_hash=file_hash,
        minutes_saved=int(prepared.template["manual_minutes"]),
        masked=prepared.masked,
        batch_id=batch_id,
    ).fetchone()[0]
    auth.log_access(
        cur,
        prepared.scope.username,
        "report_unmasked" if not prepared.masked else "report_generate",
        detail,
    )
    return run_id


def generate(
    scope: Scope,
    code: str,
    target: str | Path | IO[bytes],
    org_code: str | None = None,
    masked: bool | None = None,
    batch_id: str | None = None,
    stream_above: int | None = None,
    prepared: Prepared | None = None,
    limit: int | None = None,
    defer_log: list[Callable[[Any], int]] | None = None,
) -> RunResult:
    """Generate one report into `target` (a path or a binary stream); log the run; return it.

    Nothing is half-written: the workbook is built in a temporary file first and only then
    copied to the stream or renamed onto the path. `limit` keeps only the first rows (samples,
    benchmarks). With `defer_log` the run is not logged now: its log write (cursor → run id) is
    appended there, for a batch to log every run once the whole batch is delivered.
    Raises ReportError / AccessDenied.
    """
    prepared = prepared or prepare(scope, code, org_code, masked=masked)
    started = time.perf_counter()
    with tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024) as tmp:
        result = _write(prepared, tmp, stream_above, limit)
        tmp.seek(0)
        digest = hashlib.sha256()
        while chunk := tmp.read(1 << 20):
            digest.update(chunk)
        tmp.seek(0)
        if isinstance(target, str | Path):
            path = Path(target)
            part = path.with_name(path.name + ".part")
            try:
                with open(part, "wb") as f:
                    while chunk := tmp.read(1 << 20):
                        f.write(chunk)
                os.replace(part, path)
            finally:
                part.unlink(missing_ok=True)
        else:
            while chunk := tmp.read(1 << 20):
                target.write(chunk)
    seconds = time.perf_counter() - started
    log_args = (prepared, result.rows, seconds, digest.hexdigest(), batch_id)
    if defer_log is None:
        run_id = _log_run(*log_args)
    else:
        run_id = None
        defer_log.append(lambda cur: _insert_run(cur, *log_args))
    return RunResult(
        code=prepared.code,
        version=prepared.template["version"],
        name=prepared.template["name"],
        rows=result.rows,
        seconds=seconds,
        file_hash=digest.hexdigest(),
        minutes_saved=int(prepared.template["manual_minutes"]),
        masked=prepared.masked,
        run_id=run_id,
        filename=filename(prepared),
        streamed=result.streamed,
    )


def generate_bytes(
    scope: Scope, code: str, org_code: str | None = None, masked: bool | None = None
) -> tuple[bytes, RunResult]:
    """generate() into memory: the file's bytes and the run (for a download button)."""
    buffer = io.BytesIO()
    run = generate(scope, code, buffer, org_code, masked)
    return buffer.getvalue(), run


@dataclass
class BatchResult:
    runs: list[RunResult]
    skipped: list[tuple[str, str]]  # (template name, reason)
    batch_id: str
    seconds: float


def batch_codes(scope: Scope, department: str | None = None) -> list[dict[str, Any]]:
    """Templates a batch includes: all in force for the department (or all), runnable or not."""
    return templates(scope, department=department)


def batch_zip(
    scope: Scope,
    codes: Sequence[str],
    target: str | Path | IO[bytes],
    org_code: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    deliver: Callable[[Callable[[Any], None]], None] | None = None,
    batch_id: str | None = None,
) -> BatchResult:
    """Every template in `codes` for one org unit into one .zip; a template the caller may not
    run (sensitive tags, stopped, retired field) is listed in 未生成说明.txt instead.

    The runs are logged only once the zip is complete, all in one transaction — or, with
    `deliver` (a job's), in the transaction that marks the job done — so a batch that dies
    half-way leaves no run recorded as delivered."""
    batch_id = batch_id or uuid.uuid4().hex[:12]
    pending: list[Callable[[Any], int]] = []
    started = time.perf_counter()
    runs: list[RunResult] = []
    skipped: list[tuple[str, str]] = []
    org = scope.narrow(org_code)
    total = len(codes)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as zf:
        for number, code in enumerate(codes, start=1):
            if progress:
                progress(number - 1, total, code)
            try:
                prepared = prepare(scope, code, org)
                buffer = io.BytesIO()
                run = generate(
                    scope,
                    code,
                    buffer,
                    org,
                    batch_id=batch_id,
                    prepared=prepared,
                    defer_log=pending,
                )
            except (ReportError, AccessDenied) as exc:
                try:
                    name = template(code)["name"]
                except ReportError:
                    name = code
                skipped.append((name, str(exc)))
                continue
            department = catalog.department_name(prepared.template["department"]) or ""
            zf.writestr(f"{number:02d}_{department}_{run.filename}", buffer.getvalue())
            runs.append(run)
        lines = [
            f"一表通报表中心 批量生成 {datetime.now():%Y-%m-%d %H:%M}",
            f"范围：{catalog.org_label(org)}；生成人：{scope.username}",
            f"已生成 {len(runs)} 张，共 {sum(r.rows for r in runs):,} 行，"
            f"节省人工约 {sum(r.minutes_saved for r in runs) / 60:.1f} 小时。",
        ]
        if skipped:
            lines.append("")
            lines.append("未生成的报表：")
            lines += [f"- {name}：{reason}" for name, reason in skipped]
        zf.writestr("生成说明.txt", "\r\n".join(lines) + "\r\n")

    def log_runs(cur) -> None:
        for write in pending:
            write(cur)

    if deliver is None:
        with db.transaction() as cur:
            log_runs(cur)
    else:
        deliver(log_runs)
    if progress:
        progress(total, total, "")
    return BatchResult(runs, skipped, batch_id, time.perf_counter() - started)


def saved_query_reports(scope: Scope) -> list[dict[str, Any]]:
    """Tag queries their owners marked 作为报表 that the caller may run (own or shared)."""
    return [q for q in tag_query.list_saved(scope) if q.get("as_report")]


def saved_query_bytes(scope: Scope, saved_id: int) -> bytes:
    """One such query exported through the tag query's own Excel export (logged there)."""
    spec = tag_query.load_saved(scope, saved_id)
    buffer = io.BytesIO()
    tag_query.export(scope, spec, buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Run log and hours saved


def runs(scope: Scope, limit: int = 50, offset: int = 0) -> pd.DataFrame:
    """One page of runs inside the caller's scope, newest first, with Chinese column labels."""
    frame = db.fetch_df(
        "reports/list_runs", org_code=scope.org_code, limit=int(limit), offset=int(offset)
    )
    frame = frame.rename(
        columns={
            "created_at": "生成时间",
            "user_name": "生成人",
            "template_name": "报表",
            "template_version": "版本",
            "department_name": "部门",
            "org_name": "范围",
            "rows": "行数",
            "seconds": "耗时（秒）",
            "minutes_saved": "节省（分钟）",
        }
    )
    frame["脱敏"] = frame.pop("masked").map({True: "是", False: "否"})
    frame["文件摘要"] = frame.pop("file_hash").str[:12]
    return frame[
        [
            "生成时间",
            "生成人",
            "报表",
            "版本",
            "部门",
            "范围",
            "行数",
            "耗时（秒）",
            "节省（分钟）",
            "脱敏",
            "文件摘要",
        ]
    ]


def savings(scope: Scope, today: date | None = None) -> dict[str, Any]:
    """Runs and hours saved inside the scope: totals, this month, per department, per month."""
    today = today or date.today()
    month_start = today.replace(day=1)
    row = db.fetch_dicts("reports/run_totals", org_code=scope.org_code, month_start=month_start)[0]
    since = date(today.year - 1, today.month, 1)
    return {
        "runs": row["runs"],
        "rows": int(row["rows"]),
        "hours": round(row["minutes_saved"] / 60, 1),
        "runs_month": row["runs_month"],
        "hours_month": round(row["minutes_month"] / 60, 1),
        "by_department": db.fetch_df("reports/saved_by_department", org_code=scope.org_code),
        "by_month": db.fetch_df("reports/saved_by_month", org_code=scope.org_code, since=since),
    }


# ---------------------------------------------------------------------------------------------
# Template editor


def save_version(scope: Scope, data: Mapping[str, Any]) -> dict[str, Any]:
    """Store an edited (or new) template as its next version; district admins only.

    The new version number is one above the highest stored; runs made with older versions keep
    pointing at them. Returns the stored definition.
    """
    if scope.role != "district_admin":
        raise AccessDenied("只有区数据局管理员可以修改报表模板")
    data = dict(data)
    code = data.get("code")
    if not isinstance(code, str) or not _CODE_RE.match(code):
        _fail("模板编码应为 2–48 位小写字母、数字或下划线，以字母开头")
    with db.transaction() as cur:
        data["version"] = db.run(cur, "reports/next_version", code=code).fetchone()[0]
        defn = check_definition(data)
        insert_version(cur, defn, "editor", scope.username)
        auth.log_access(
            cur,
            scope.username,
            "report_template_save",
            f"{defn['name']}（{code}）第 {defn['version']} 版",
        )
    return defn


def new_definition(entity: str = "resident") -> dict[str, Any]:
    """A blank definition for the editor to start from."""
    return {
        "code": "",
        "version": 1,
        "name": "",
        "department": "",
        "frequency": "monthly",
        "entity": entity,
        "kind": "list",
        "status": "active",
        "manual_minutes": 60,
        "filter": {"tags": {"all": [], "any": [], "none": []}, "conditions": []},
        "columns": [],
        "sort": [],
        "group_by": None,
        "totals": None,
        "layout": {
            "orientation": None,
            "footer": ["填表人", "审核人", "填报日期"],
            "note": None,
            "seq": True,
        },
    }


# The editor's default 高龄津贴 bands (yuan per month from the given age); templates set their own.
DEFAULT_ALLOWANCE_BANDS = [[80, 100], [90, 200], [100, 500]]


def column_choices(entity: str) -> dict[str, str]:
    """What a template column may show: field codes and derived names → Chinese labels."""
    refs, _ = tags.reference(entity)
    out = {r.code: r.label for r in refs.values() if r.code}
    for key, d in DERIVED.items():
        if entity in d.entities:
            out[key] = f"{d.label}（派生）"
    return out


# ---------------------------------------------------------------------------------------------
# Filling a department's own form

FILL_MAX_ROWS = 50_000
# Header words of real forms for derived values (the field standard carries the fields' own).
DERIVED_SYNONYMS: dict[str, tuple[str, ...]] = {
    "age": ("年龄", "周岁", "年龄（岁）", "实足年龄"),
    "street": ("所属街道", "街道", "街道名称", "镇街"),
    "community": ("所属社区", "社区", "社区名称", "所在社区", "村社"),
    "grid": ("所属网格", "网格", "网格名称", "所在网格"),
    "household_no": ("户号", "户编号"),
    "head_name": ("户主姓名", "户主", "监护人姓名"),
    "member_count": ("家庭人口", "家庭人口数", "家庭成员数", "户内人数", "共同生活人数"),
    "mother_name": ("母亲姓名", "母亲", "母亲名字"),
    "father_name": ("父亲姓名", "父亲", "父亲名字"),
    "childcare_subsidy": ("补助金额", "育儿补助", "补助金额（元）", "发放金额"),
    "occupant_count": ("居住人数", "实住人数", "入住人数"),
}


@dataclass
class FormAnalysis:
    """What the upload step found: the header block and the suggested (or remembered) mapping."""

    block: template_fill.HeaderBlock
    entity: str
    mapping: dict[str, str | None]  # column key → field code / derived name / "seq" / None
    scores: dict[str, float]
    remembered: bool
    choices: dict[str, str]  # choice key → label, for the confirmation widgets


def form_choices(entity: str) -> list[template_fill.Choice]:
    """What a form header may map to for one entity: fields (name + synonyms), derived, 序号."""
    refs, _ = tags.reference(entity)
    synonyms = {f["code"]: f["synonyms"] or [] for f in catalog.field_defs(entity)}
    out = [template_fill.Choice(template_fill.SEQ, "序号（自动编号）", template_fill.SEQ_NAMES)]
    seen = set()
    for ref in refs.values():
        if ref.code and ref.code not in seen:
            seen.add(ref.code)
            names = (ref.label, *synonyms.get(ref.code, []))
            out.append(template_fill.Choice(ref.code, ref.label, tuple(names)))
    for key, d in DERIVED.items():
        if entity in d.entities and key != "elderly_allowance":
            out.append(
                template_fill.Choice(
                    key, f"{d.label}（派生）", (d.label, *DERIVED_SYNONYMS.get(key, ()))
                )
            )
    return out


def analyse_form(data: bytes, entity: str) -> FormAnalysis:
    """Check the upload, find its header block, suggest a mapping (or recall a confirmed one)."""
    try:
        wb = upload.open_workbook(data)
        block = template_fill.detect_header(wb.active)
    except (upload.UploadError, template_fill.TemplateError) as exc:
        raise ReportError(str(exc)) from exc
    choices = form_choices(entity)
    _, mapping, scores = template_fill.suggest(block.columns, {entity: choices}, entity)
    remembered = False
    rows = db.fetch_dicts("reports/find_form_mapping", signature=block.signature)
    if rows and rows[0]["entity"] == entity:
        saved = rows[0]["mapping"]
        saved = json.loads(saved) if isinstance(saved, str) else saved
        keys = {c.key for c in choices}
        mapping = {k: (saved.get(k) if saved.get(k) in keys else None) for k in mapping}
        remembered = True
    return FormAnalysis(
        block, entity, mapping, scores, remembered, {c.key: c.label for c in choices}
    )


def fill_form(
    scope: Scope,
    code: str,
    data: bytes,
    mapping: Mapping[str, str | None],
    org_code: str | None = None,
    masked: bool | None = None,
    form_name: str = "",
    remember: bool = True,
) -> tuple[bytes, RunResult]:
    """Write a template's rows for the caller's scope into a copy of the uploaded form.

    `mapping` (column key → field code, derived name, "seq" or None) is the user-confirmed one;
    it is remembered for the next upload of the same form. The run is logged like a generated
    report. Nothing is written anywhere until the whole workbook is built in memory.
    """
    row = template(code)
    entity = row["definition"]["entity"]
    try:
        wb = upload.open_workbook(data)
        block = template_fill.detect_header(wb.active)
    except (upload.UploadError, template_fill.TemplateError) as exc:
        raise ReportError(str(exc)) from exc
    allowed = {c.key for c in form_choices(entity)}
    columns: list[dict[str, Any]] = []
    mapped: list[tuple[int, Any]] = []
    for col in block.columns:
        key = mapping.get(col.key)
        if key is None:
            continue
        if key not in allowed:
            _fail(f"“{col.display}”对应的字段“{key}”不可用")
        if key == template_fill.SEQ:
            mapped.append((col.col, template_fill.SEQ))
            continue
        source = "derived" if key in DERIVED else "field"
        mapped.append((col.col, len(columns)))
        columns.append({source: key, "header": col.label[:40] or key})
    if not columns:
        _fail("请至少为一列表头选择对应的字段")
    prepared = prepare(scope, code, org_code, masked=masked, columns=columns)
    started = time.perf_counter()
    with db.cursor() as cur:
        cur.execute("begin transaction")
        try:
            total = count(prepared, cur)
            if total > FILL_MAX_ROWS:
                _fail(
                    f"共 {total:,} 行，超过套用表样的上限 {FILL_MAX_ROWS:,} 行，请缩小范围或直接生成标准报表"
                )
            rows = list(iter_rows(prepared, cur))
        finally:
            cur.execute("rollback")
    try:
        n = template_fill.fill(
            wb,
            block,
            mapped,
            rows,
            unit=(catalog.org_path(prepared.org_code) or prepared.org_code).replace("/", ""),
            day=_cn_date(prepared.as_of),
        )
    except template_fill.TemplateError as exc:
        raise ReportError(str(exc)) from exc
    wb.properties.lastModifiedBy = GENERATOR
    wb.properties.modified = datetime.now().replace(microsecond=0)
    content = template_fill.save(wb)
    digest = hashlib.sha256(content).hexdigest()
    seconds = time.perf_counter() - started
    run_id = _log_run(prepared, n, seconds, digest, None)
    if remember:
        with db.transaction() as cur:
            db.run(
                cur,
                "reports/upsert_form_mapping",
                signature=block.signature,
                form_name=(form_name or block.title or prepared.template["name"])[:100],
                entity=entity,
                mapping=json.dumps(dict(mapping), ensure_ascii=False, sort_keys=True),
                updated_by=scope.username,
            )
    unit = catalog.org_name(prepared.org_code) or prepared.org_code
    name = re.sub(
        r'[\\/:*?"<>|\s]+',
        "",
        f"{form_name or prepared.template['name']}_{unit}_{prepared.as_of:%Y%m%d}.xlsx",
    )
    run = RunResult(
        code=prepared.code,
        version=prepared.template["version"],
        name=prepared.template["name"],
        rows=n,
        seconds=seconds,
        file_hash=digest,
        minutes_saved=int(prepared.template["manual_minutes"]),
        masked=prepared.masked,
        run_id=run_id,
        filename=name,
    )
    return content, run
