"""Report template definitions: what a template may say, checked against the field standard."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb

from yibiaotong import catalog, conditions, db, tag_query, tags
from yibiaotong.excel import kind_of

ENTITY_NAMES = catalog.ENTITY_NAMES
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
MAX_COLUMNS = 40
MAX_MEASURES = 40
_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,47}$")
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
    attrs: dict[str, dict[str, tags.FieldRef]]  # fields kept in attrs: columns, not conditions


def standard(cur: duckdb.DuckDBPyConnection | None = None) -> Standard:
    """The field standard, tags and departments currently in force (on `cur` when loading)."""
    refs, values, attrs = {}, {}, {}
    for entity in catalog.ENTITIES:
        attrs[entity] = tags.attr_refs(entity, cur)
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
    return Standard(refs, values, dict(tag_rows), departments, attrs)


def _field_codes(entity: str, std: Standard) -> dict[str, tags.FieldRef]:
    """Field-standard codes (not column names) of one entity, for template columns (fields kept
    in attrs included)."""
    return {r.code: r for r in std.refs[entity].values() if r.code} | std.attrs[entity]


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
    conds = list(spec.get("conditions") or [])
    comp = conditions.Compiler(entity, std.refs[entity], std.code_values[entity], "chk_")
    for number, cond in enumerate(conds, start=1):
        try:
            comp.condition(cond, number)
        except conditions.RuleError as exc:
            _fail(f"{where}{exc}")
    return {"tags": chosen, "conditions": [dict(c) for c in conds]}


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


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TEXT_NAMES = {
    "name": "报表名称",
    "title": "标题",
    "description": "说明",
    "header": "表头",
    "group": "上级表头",
    "note": "表下注释",
    "label": "合计行文字",
    "value": "条件取值",
}


def _check_texts(value: Any, key: str = "") -> None:
    """Every text of a definition is printable: control characters (NUL, tabs, line breaks …)
    would break file and sheet names, Excel cells and print layouts."""
    if isinstance(value, str):
        if _CONTROL.search(value):
            what = _TEXT_NAMES.get(key, key)
            _fail(f"{what}“{_CONTROL.sub('', value)[:30]}”中含有不可见的控制字符，请删除后再保存")
    elif isinstance(value, Mapping):
        for k, v in value.items():
            _check_texts(v, str(k))
    elif isinstance(value, list | tuple):
        for v in value:
            _check_texts(v, key)


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
                if column_kind(entity, c, std) in ("int", "decimal", "money")
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
        if rows not in ("next", *catalog.LEVELS):
            _fail("统计表的行只能按 next、street、community 或 grid")
        out["rows"] = rows
        out["measures"] = _check_measures(entity, data.get("measures"), std)
        out["totals"] = {"label": "合计", "sum": []}
    _check_texts(out)
    return out


def column_kind(entity: str, column: Mapping[str, Any], std: Standard | None = None) -> str:
    if column.get("field"):
        refs = (
            _field_codes(entity, std)
            if std
            else {
                **{r.code: r for r in tags.reference(entity)[0].values() if r.code},
                **tags.attr_refs(entity),
            }
        )
        ref = refs.get(column["field"])
        return kind_of(ref.data_type) if ref else "text"
    if column.get("derived"):
        return DERIVED[column["derived"]].kind
    return "text"
