"""Statistics tables and indicator lists in a department's own form, filled from aggregates.

A statistics table prints one org unit per row (天仙社区 … 合计) and one category per column
(男, 女, 60–69岁, 残疾人, 户数 …); an indicator list prints one item per row (户籍人口, 独居老人 …)
beside a value column. Each category or item is read as a count over the chosen template's
population — a tag, a code value, an age band, all records, or households — and counted in
DuckDB per unit. What cannot be read stays blank and is said so; a form where nothing can be
read is refused with what it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from yibiaotong import catalog, db, tag_query, tags
from yibiaotong.excel.template_fill import HeaderBlock, HeaderColumn
from yibiaotong.mapping import tidy
from yibiaotong.reports.definition import ReportError
from yibiaotong.scope import AccessDenied, Scope

_TOTAL_WORDS = frozenset(
    [
        "合计",
        "总计",
        "小计",
        "共计",
        "总数",
        "人数",
        "总人数",
        "人口数",
        "总人口",
        "实有人口",
        "数量",
        "计",
        "记录数",
        "条数",
        "总量",
    ]
)
_HOUSEHOLD_WORDS = frozenset(["户数", "总户数", "家庭数", "家庭户数", "户"])
_TOTAL_ROW = re.compile(r"^(?:合计|总计|小计|共计|总数|全[区街社](?:合计)?)$")
# Units and hints around a category: 男（人）, 残疾人数, 60-69岁人数, 户籍人口数.
_TRAILER = re.compile(r"(?:[（(][^）)]*[）)]|总数|人数|户数|数量|人口数|数)$")
_AGE_START = re.compile(r"^\d{1,3}\s*(?:周?岁|[-–—~～至到])")
_SYNONYMS = {"男性": "男", "女性": "女", "户籍": "户籍人口", "流动": "流动人口", "境外": "境外人员"}
_AGE_BAND = re.compile(r"^(\d{1,3})\s*(?:周?岁)?\s*[-–—~～至到]\s*(\d{1,3})\s*周?岁?$")
_AGE_FROM = re.compile(r"^(\d{1,3})\s*周?岁?(?:及|含)?以上$")
_AGE_BELOW = re.compile(r"^(\d{1,3})\s*周?岁?以下$")
_AGE_UPTO = re.compile(r"^(\d{1,3})\s*周?岁?及以下$")
_VALUE_HEADER = re.compile(r"数值|数量|人数|户数|合计|总数|情况|数据|结果")


@dataclass(frozen=True)
class Measure:
    """What one category or item counts, and how it was understood (Chinese)."""

    label: str
    tags: tuple[str, ...] = ()
    conditions: tuple[dict[str, Any], ...] = ()
    households: bool = False


@dataclass
class TableFill:
    """What a statistics table or indicator list will get: cell values and the reasons."""

    kind: str
    values: dict[tuple[int, int], int] = field(default_factory=dict)
    understood: dict[str, str] = field(default_factory=dict)  # header or item → how it is counted
    blank: dict[str, str] = field(default_factory=dict)  # header, item or unit → why left blank
    rows: int = 0


def _core(text: str) -> str:
    """A category as compared: marks and item numbers gone (not the digits of 0-17岁),
    units and 人数 / 总数 trailers gone, a few short forms expanded (男性 → 男)."""
    core = re.sub(r"\s+", "", str(text))
    if not _AGE_START.match(core):
        core = tidy(core)
    for _ in range(2):
        core = _TRAILER.sub("", core) or core
    return _SYNONYMS.get(core, core)


def _age(core: str) -> tuple[dict[str, Any], str] | None:
    if m := _AGE_BAND.match(core):
        lo, hi = int(m.group(1)), int(m.group(2))
        return {"field": "age", "op": "between", "value": [lo, hi]}, f"年龄 {lo}–{hi} 岁"
    if m := _AGE_FROM.match(core):
        return {"field": "age", "op": ">=", "value": int(m.group(1))}, f"年龄 {m.group(1)} 岁及以上"
    if m := _AGE_UPTO.match(core):
        return {"field": "age", "op": "<=", "value": int(m.group(1))}, f"年龄 {m.group(1)} 岁及以下"
    if m := _AGE_BELOW.match(core):
        return {"field": "age", "op": "<", "value": int(m.group(1))}, f"年龄 {m.group(1)} 岁以下"
    return None


def measure_for(scope: Scope, entity: str, path: Sequence[str]) -> Measure | None:
    """How a header (its path, parent first) or an item counts, or None when it cannot."""
    core = _core(path[-1])
    if not core:
        return None
    if core in _TOTAL_WORDS:
        return Measure("全部")
    if core in _HOUSEHOLD_WORDS and entity == "resident":
        return Measure("户数（按户计）", households=True)
    if entity == "resident" and (age := _age(core)):
        return Measure(age[1], conditions=(age[0],))
    for tag in tags.tag_index():
        if tag["entity"] == entity and core in (tag["name"], _core(tag["name"])):
            if not tags.visible(scope, tag):
                return None
            return Measure(f"带标签“{tag['name']}”", tags=(tag["code"],))
    refs, code_values = tags.reference(entity)
    parent = _core(path[-2]) if len(path) > 1 else None
    found = []
    for ref in {r.key: r for r in refs.values() if r.code_list and r.column}.values():
        if parent and parent not in (ref.label, _core(ref.label)):
            continue
        for code, name in code_values.get(ref.column, {}).items():
            if core == name or (parent and name.startswith(core)):
                found.append((ref, code, name))
    if len(found) == 1:
        ref, code, name = found[0]
        if ref.sensitive and not scope.clearance:
            return None
        return Measure(
            f"{ref.label}为“{name}”", conditions=({"field": ref.code, "op": "=", "value": code},)
        )
    return None


def _units(scope: Scope, org: str, labels: Sequence[tuple[int, str]]) -> tuple[dict, list, dict]:
    """Each printed row label read as an org unit inside `org` (天仙 = 天仙社区) or a total row."""
    by_name: dict[str, str] = {}
    for unit in catalog.org_units_under(org):
        name = unit["name"]
        by_name.setdefault(name, unit["code"])
        short = re.sub(r"(社区|街道|网格|村)$", "", name)
        by_name.setdefault(short, unit["code"])
    rows, totals, blank = {}, [], {}
    for r, label in labels:
        text = tidy(label)
        if _TOTAL_ROW.match(text):
            totals.append(r)
        elif text in by_name and scope.covers(by_name[text]):
            rows[r] = by_name[text]
        else:
            blank[label] = "不是您辖区内的单位名称，留空"
    return rows, totals, blank


def _spec(base: Mapping[str, Any], measure: Measure, org: str, entity: str) -> dict[str, Any]:
    chosen = {
        mode: list((base.get("tags") or {}).get(mode) or []) for mode in ("all", "any", "none")
    }
    chosen["all"] += [t for t in measure.tags if t not in chosen["all"]]
    return {
        "entity": entity,
        "tags": chosen,
        "conditions": [*(base.get("conditions") or []), *measure.conditions],
        "org_code": org,
    }


def _counts(scope: Scope, spec: Mapping[str, Any], measure: Measure, length: int) -> dict[str, int]:
    """Matching records (or their households) per unit code of `length` characters."""
    fragment, params = tag_query.compile_filter(scope, spec, prefix="fc_")
    what = "count(distinct e.household_id)" if measure.households else "count(*)"
    sql = (
        f"select substr(e.grid_code, 1, $fc_len), {what} from {tags.TABLES[spec['entity']]} as e "
        f"where {fragment} group by 1"
    )
    with db.cursor() as cur:
        return dict(cur.execute(sql, {**params, "fc_len": length}).fetchall())


def _value_column(block: HeaderBlock) -> HeaderColumn:
    others = [c for c in block.columns if c.col != block.label_col and c.label not in ("序号",)]
    return next((c for c in others if _VALUE_HEADER.search(c.label)), others[0])


def plan_table(
    scope: Scope, block: HeaderBlock, entity: str, base: Mapping[str, Any], org: str
) -> TableFill:
    """The values of a statistics table (units × categories) or an indicator list over the
    template's population inside `org`; ReportError when none of it can be counted."""
    out = TableFill(block.kind)
    if block.kind == "indicators":
        column = _value_column(block)
        for r, label in block.labels:
            measure = measure_for(scope, entity, (label,))
            if measure is None:
                out.blank[label] = "台账中没有对应的统计口径（或需要敏感信息查看权限），留空"
                continue
            try:
                counted = _counts(scope, _spec(base, measure, org, entity), measure, len(org))
            except (AccessDenied, tag_query.QueryError) as exc:
                out.blank[label] = f"{exc}，留空"
                continue
            out.values[(r, column.col)] = counted.get(org, 0)
            out.understood[label] = measure.label
        out.rows = len({r for r, _ in out.values})
    else:
        rows, totals, blank_units = _units(scope, org, block.labels)
        out.blank.update(blank_units)
        lengths = sorted({len(code) for code in rows.values()})
        for column in block.columns:
            if column.col == block.label_col or column.label in ("序号",):
                continue
            measure = measure_for(scope, entity, column.path)
            if measure is None:
                out.blank[column.display] = (
                    "台账中没有对应的统计口径（或需要敏感信息查看权限），留空"
                )
                continue
            try:
                counted: dict[str, int] = {}
                for length in lengths:
                    counted.update(
                        _counts(scope, _spec(base, measure, org, entity), measure, length)
                    )
            except (AccessDenied, tag_query.QueryError) as exc:
                out.blank[column.display] = f"{exc}，留空"
                continue
            out.understood[column.display] = measure.label
            for r, code in rows.items():
                out.values[(r, column.col)] = counted.get(code, 0)
            for r in totals:
                out.values[(r, column.col)] = sum(counted.get(code, 0) for code in rows.values())
        out.rows = len(rows) + len(totals) if out.understood else 0
    if not out.values:
        unread = "、".join(list(out.blank)[:6])
        raise ReportError(
            f"这是一张{block.kind_name}。按所选报表的对象（{catalog.ENTITY_NAMES[entity]}）统计，"
            f"其中的表头或项目（{unread}）在台账中找不到可统计的口径，无法自动填写。"
            "请确认所选报表的对象与表样一致；需要敏感信息查看权限的人群不能统计。"
        )
    return out
