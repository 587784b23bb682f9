"""The template editor's domain side: a blank definition, its choices, rows ↔ definition."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from yibiaotong import conditions, tags
from yibiaotong.reports.definition import DERIVED, ReportError

BLANK = "__blank__"  # a column left for the clerk to fill by hand
BLANK_LABEL = "（空白列，手填）"
# The editor's default 高龄津贴 bands (yuan per month from the given age); templates set their own.
DEFAULT_ALLOWANCE_BANDS = [[80, 100], [90, 200], [100, 500]]
ORIENTATIONS = {None: "按宽度自动", "portrait": "纵向", "landscape": "横向"}


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


def column_choices(entity: str) -> dict[str, str]:
    """What a template column may show: field codes and derived names → Chinese labels."""
    refs, _ = tags.reference(entity)
    out = {r.code: r.label for r in refs.values() if r.code}
    out.update({code: r.label for code, r in tags.attr_refs(entity).items()})
    for key, d in DERIVED.items():
        if entity in d.entities:
            out[key] = f"{d.label}（派生）"
    return out


def condition_fields(entity: str) -> dict[str, str]:
    """Fields a template may filter on: field code (or derived key) → label, each once."""
    refs, _ = tags.reference(entity)
    out: dict[str, str] = {}
    for ref in refs.values():
        out.setdefault(ref.code or ref.key, ref.label)
    return out


def sort_choices(entity: str) -> dict[str, str]:
    """Sort keys a template may use → labels (its fields, the org units, age for residents)."""
    choices = column_choices(entity)
    out = {"community": "所属社区", "grid": "所属网格"}
    out.update({k: v for k, v in condition_fields(entity).items() if k in choices})
    if entity == "resident":
        out.update({"age": "年龄从小到大", "-age": "年龄从大到小"})
    return out


def column_rows(defn: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A definition's columns as editor rows {内容, 表头文字, 上级表头, 合计}."""
    labels = {**column_choices(defn["entity"]), BLANK: BLANK_LABEL}
    totals = set((defn.get("totals") or {}).get("sum") or [])
    rows = []
    for c in defn.get("columns") or []:
        key = c.get("field") or c.get("derived") or BLANK
        rows.append(
            {
                "内容": labels.get(key, key),
                "表头文字": c.get("header", ""),
                "上级表头": c.get("group") or "",
                "合计": key in totals,
            }
        )
    return rows or [{"内容": None, "表头文字": "", "上级表头": "", "合计": False}]


def condition_rows(defn: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A definition's field conditions as editor rows {字段, 运算, 取值} (values in words)."""
    refs, names = tags.reference(defn["entity"])
    fields = condition_fields(defn["entity"])
    rows = []
    for c in (defn.get("filter") or {}).get("conditions") or []:
        ref = refs.get(c["field"])
        rows.append(
            {
                "字段": fields.get(c["field"], c["field"]),
                "运算": conditions.OP_NAMES.get(c["op"], c["op"]),
                "取值": conditions.value_text(ref, c.get("value"), names) if ref else "",
            }
        )
    return rows


def _columns(entity: str, rows: Iterable[Mapping[str, Any]], bands: list) -> tuple[list, list]:
    choices = column_choices(entity)
    by_label = {label: key for key, label in {**choices, BLANK: BLANK_LABEL}.items()}
    columns, sums = [], []
    for row in rows:
        key = by_label.get(row.get("内容"))
        if key is None:
            continue
        if key == BLANK:
            item: dict[str, Any] = {"blank": True}
        else:
            item = {"derived": key} if key in DERIVED else {"field": key}
        if key == "elderly_allowance":
            item["bands"] = bands
        header = (row.get("表头文字") or "").strip()
        item["header"] = header or (
            "" if key == BLANK else choices.get(key, key).removesuffix("（派生）")
        )
        group = (row.get("上级表头") or "").strip()
        if group:
            item["group"] = group
        columns.append(item)
        if row.get("合计") and key != BLANK:
            sums.append(key)
    return columns, sums


def _conditions(entity: str, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    refs, names = tags.reference(entity)
    by_label = {label: key for key, label in condition_fields(entity).items()}
    out = []
    for number, row in enumerate(rows, start=1):
        field, op = by_label.get(row.get("字段")), conditions.BY_LABEL.get(row.get("运算"))
        if not field or op is None:
            continue
        cond: dict[str, Any] = {"field": field, "op": op.key}
        try:
            value = conditions.parse_value(
                refs[field], op.key, row.get("取值"), names, f"条件第 {number} 行："
            )
        except conditions.RuleError as exc:
            raise ReportError(str(exc)) from exc
        if value is not None:
            cond["value"] = value
        out.append(cond)
    return out


def assemble(
    base: Mapping[str, Any],
    *,
    code: str,
    name: str,
    department: str,
    frequency: str,
    entity: str,
    manual_minutes: int,
    status: str,
    valid_from: date | None,
    valid_to: date | None,
    description: str,
    tag_choice: Mapping[str, Sequence[str]],
    condition_table: Iterable[Mapping[str, Any]],
    column_table: Iterable[Mapping[str, Any]],
    sort: Sequence[str],
    group_by: str | None,
    with_totals: bool,
    orientation: str | None,
    note: str,
) -> dict[str, Any]:
    """A list template's definition from what the editor shows (check it with check_definition).

    `base` is the definition being edited: its version, title, layout and allowance bands carry
    over. Raises ReportError for a condition value that does not parse.
    """
    bands = next(
        (c["bands"] for c in base.get("columns") or [] if c.get("derived") == "elderly_allowance"),
        DEFAULT_ALLOWANCE_BANDS,
    )
    columns, sums = _columns(entity, column_table, bands)
    data = {
        "code": code.strip(),
        "version": base.get("version", 1),
        "name": name,
        "department": department,
        "frequency": frequency,
        "entity": entity,
        "kind": "list",
        "status": status,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "manual_minutes": int(manual_minutes),
        "description": description,
        "filter": {
            "tags": {mode: list(tag_choice.get(mode) or []) for mode in ("all", "any", "none")},
            "conditions": _conditions(entity, condition_table),
        },
        "columns": columns,
        "sort": list(sort),
        "group_by": group_by,
        "totals": {"label": "合计", "sum": sums} if with_totals else None,
        "layout": {**(base.get("layout") or {}), "orientation": orientation, "note": note or None},
    }
    if base.get("title"):
        data["title"] = base["title"]
    return data
