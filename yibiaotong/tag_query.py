"""标签查询: a filter spec compiled to whitelisted, parameterised SQL; count, page, breakdown, export."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

import duckdb
import pandas as pd

from yibiaotong import audit, auth, catalog, conditions, config, db, masking, tags
from yibiaotong.excel import Column as ExcelColumn
from yibiaotong.excel import kind_of, write_xlsx
from yibiaotong.permissions import checked
from yibiaotong.scope import AccessDenied, Scope

ENTITY_NAMES = catalog.ENTITY_NAMES
ENTITY_UNITS = catalog.ENTITY_UNITS
LEVELS = catalog.LEVELS
LEVEL_NAMES = catalog.LEVEL_NAMES
TAG_MODES = ("all", "any", "none")
MODE_NAMES = {"all": "且（必须带有）", "any": "或（至少带有其一）", "none": "非（不带有）"}
MAX_TAGS = 30
MAX_CONDITIONS = conditions.MAX_CONDITIONS
MAX_PAGE = 500
_DISTRICT_CODE_LENGTH = 6
_ID_RANGES = {
    "resident": "tag_query/id_range_resident",
    "household": "tag_query/id_range_household",
    "house": "tag_query/id_range_house",
    "shop": "tag_query/id_range_shop",
}
_ROW_QUERIES = {
    "resident": "tag_query/rows_resident",
    "household": "tag_query/rows_household",
    "house": "tag_query/rows_house",
    "shop": "tag_query/rows_shop",
}
# Hangzhou's 2023 childcare subsidy per newborn, by birth order: 二孩 ¥5,000, 三孩及以上 ¥20,000.
CHILDCARE_SUBSIDY = ((3, 20_000), (2, 5_000))
NEWBORN_TAGS = frozenset({"newborn", "second_child", "multi_child", "third_child"})
# Sort keys a caller may ask for, per entity: label, the columns it reads, the order by. The
# SQL comes only from here.
SORTS: dict[str, dict[str, tuple[str, tuple[str, ...], str]]] = {
    "resident": {
        "id": ("登记顺序", (), "id"),
        "name": ("姓名拼音", ("name_initials", "name"), "name_initials, name, id"),
        "age": ("年龄从小到大", ("birth_date",), "birth_date desc nulls last, id"),
        "-age": ("年龄从大到小", ("birth_date",), "birth_date nulls last, id"),
        "grid": ("所属网格", ("grid_code",), "grid_code, id"),
    },
    "household": {
        "id": ("登记顺序", (), "id"),
        "household_no": ("户号", ("household_no",), "household_no, id"),
        "grid": ("所属网格", ("grid_code",), "grid_code, id"),
    },
    "house": {
        "id": ("登记顺序", (), "id"),
        "house_no": ("房屋编号", ("house_no",), "house_no, id"),
        "grid": ("所属网格", ("grid_code",), "grid_code, id"),
    },
    "shop": {
        "id": ("登记顺序", (), "id"),
        "name": ("店铺名称", ("name",), "name, id"),
        "grid": ("所属网格", ("grid_code",), "grid_code, id"),
    },
}


class QueryError(ValueError):
    """A spec the compiler refuses; the message is Chinese and shown to the user as is."""


@dataclass(frozen=True)
class Column:
    """One result column: key in the row dicts, Chinese label, type for masking and Excel."""

    key: str
    label: str
    data_type: str = "text"
    code_list: str | None = None
    sensitive: bool = False


# (key, label, field column whose standard gives type / code list / sensitivity, or a type)
_COLUMNS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "resident": (
        ("name", "姓名", "name"),
        ("sex", "性别", "sex"),
        ("age", "年龄", "int"),
        ("birth_date", "出生日期", "birth_date"),
        ("id_number", "身份证号", "id_number"),
        ("phone", "联系电话", "phone"),
        ("residence_type", "人口类型", "residence_type"),
        ("household_no", "户号", "text"),
        ("head_name", "户主", "text"),
        ("relation_to_head", "与户主关系", "relation_to_head"),
        ("current_address", "现住址", "current_address"),
        ("community", "所属社区", "text"),
        ("grid", "所属网格", "text"),
    ),
    "household": (
        ("household_no", "户号", "household_no"),
        ("head_name", "户主", "text"),
        ("household_type", "户别", "household_type"),
        ("members", "在册人数", "int"),
        ("address", "家庭住址", "address"),
        ("phone", "家庭电话", "phone"),
        ("community", "所属社区", "text"),
        ("grid", "所属网格", "text"),
    ),
    "house": (
        ("house_no", "房屋编号", "house_no"),
        ("address", "房屋地址", "address"),
        ("use_type", "房屋用途", "use_type"),
        ("occupancy", "使用情况", "occupancy"),
        ("area_sqm", "建筑面积（㎡）", "area_sqm"),
        ("property_type", "产权性质", "property_type"),
        ("owner_name", "产权人", "owner_name"),
        ("owner_phone", "产权人电话", "owner_phone"),
        ("tenant_count", "承租人数", "tenant_count"),
        ("community", "所属社区", "text"),
        ("grid", "所属网格", "text"),
    ),
    "shop": (
        ("name", "店铺名称", "name"),
        ("uscc", "统一社会信用代码", "uscc"),
        ("category", "经营类别", "category"),
        ("legal_person", "负责人", "legal_person"),
        ("phone", "联系电话", "phone"),
        ("address", "经营地址", "address"),
        ("area_sqm", "经营面积（㎡）", "area_sqm"),
        ("inspection_status", "检查状态", "inspection_status"),
        ("community", "所属社区", "text"),
        ("grid", "所属网格", "text"),
    ),
}
_NEWBORN_COLUMNS = (
    Column("birth_order", "孩次", "int"),
    Column("mother_name", "母亲", "text"),
    Column("subsidy", "育儿补助（元）", "int"),
)
_PLAIN_TYPES = frozenset(("text", "int", "decimal", "date", "bool"))


# ---------------------------------------------------------------------------------------------
# The spec and its compiler


def _fail(message: str) -> None:
    raise QueryError(message)


def normalise(spec: Any) -> dict[str, Any]:
    """Check a spec's shape and return it canonical (every key present; a tag chosen twice is refused).

    {"entity": "resident", "tags": {"all": [...], "any": [...], "none": [...]},
     "conditions": [{"field": code, "op": op, "value": v}, ...], "org_code": "330102009"}
    Tags are codes (or integer ids); fields are field-standard codes, column names or derived
    values (age, age_months, household.member_count ...); ops are conditions.OPERATORS.
    """
    if not isinstance(spec, Mapping):
        _fail("查询条件格式不正确")
    unknown = set(spec) - {"entity", "tags", "conditions", "org_code"}
    if unknown:
        _fail(f"查询条件中有不认识的项：{'、'.join(sorted(map(str, unknown)))}")
    entity = spec.get("entity", "resident")
    if entity not in ENTITY_NAMES:
        _fail(f"未知的查询对象“{entity}”")
    raw_tags = spec.get("tags") or {}
    if not isinstance(raw_tags, Mapping) or set(raw_tags) - set(TAG_MODES):
        _fail("标签条件只能分为“且 / 或 / 非”三组")
    chosen: dict[str, list] = {}
    seen: set = set()
    for mode in TAG_MODES:
        items = raw_tags.get(mode) or []
        if not isinstance(items, list | tuple):
            _fail("标签条件格式不正确")
        chosen[mode] = []
        for item in items:
            if isinstance(item, bool) or not isinstance(item, str | int):
                _fail(f"标签“{item}”格式不正确")
            if item in seen:
                _fail(f"标签“{item}”被重复选择")
            seen.add(item)
            chosen[mode].append(item)
    if len(seen) > MAX_TAGS:
        _fail(f"一次最多选择 {MAX_TAGS} 个标签")
    conds = spec.get("conditions") or []
    if not isinstance(conds, list | tuple):
        _fail("字段条件格式不正确")
    if len(conds) > MAX_CONDITIONS:
        _fail(f"字段条件最多 {MAX_CONDITIONS} 个")
    org_code = spec.get("org_code") or None
    if org_code is not None and (not isinstance(org_code, str) or not org_code.isdigit()):
        _fail("所选区域不正确")
    return {
        "entity": entity,
        "tags": chosen,
        "conditions": [dict(c) if isinstance(c, Mapping) else c for c in conds],
        "org_code": org_code,
    }


_sizes_lock = threading.Lock()
_sizes: dict[str, tuple[float, dict[int, int]]] = {}
_SIZES_TTL = 600.0


def _tag_sizes() -> dict[int, int]:
    """Rows per tag id, refreshed every few minutes: only the join order depends on it."""
    key = str(config.db_path())
    with _sizes_lock:
        cached = _sizes.get(key)
        if cached and time.monotonic() - cached[0] < _SIZES_TTL:
            return cached[1]
    sizes = dict(db.fetch_all("tag_query/tag_sizes"))
    with _sizes_lock:
        _sizes[key] = (time.monotonic(), sizes)
    return sizes


def _resolve_tags(scope: Scope, entity: str, chosen: Mapping[str, list]) -> dict[str, list[dict]]:
    by_code = {t["code"]: t for t in tags.tag_index()}
    by_id = {t["id"]: t for t in by_code.values()}
    out: dict[str, list[dict]] = {}
    for mode in TAG_MODES:
        out[mode] = []
        for item in chosen[mode]:
            tag = by_id.get(item) if isinstance(item, int) else by_code.get(item)
            if tag is None:
                _fail(f"未知的标签“{item}”，可能已停用，请重新选择")
            if not tags.visible(scope, tag):
                raise AccessDenied(f"您的角色无权使用敏感标签“{tag['name']}”")
            if tag["entity"] != entity:
                _fail(
                    f"标签“{tag['name']}”属于{ENTITY_NAMES[tag['entity']]}，不能用于查询{ENTITY_NAMES[entity]}"
                )
            out[mode].append(tag)
    return out


@checked
def compile_filter(
    scope: Scope, spec: Any, *, prefix: str = "tq_", as_of: date | None = None
) -> tuple[str, dict[str, Any]]:
    """Compile a spec into (where_fragment, params) over the entity table aliased `e`.

    Use it as `select … from <entity> as e where <fragment>` with the params (all named
    `$<prefix>…`, so a caller can add its own). The fragment keeps only active records inside
    the caller's scope (or the spec's narrower org_code inside it) — below the district also
    within the id range of that area's records, read when compiling (a snapshot hint that lets
    scans skip other areas' row groups) — then ANDs:
      - each "all" tag as its own semi-join `e.id in (select entity_id from entity_tag …)`,
        the rarest tag first (DuckDB probes the big ones against the small result);
      - the "any" tags as one semi-join over a union of per-tag selects;
      - the "none" tags as `not exists` anti-joins;
      - each field condition through conditions.Compiler (whitelisted fields and ops, values bound).
    A tag means exactly that tag (sub-tags are separate choices). Raises QueryError for a bad
    spec and AccessDenied for an org outside the scope or a sensitive tag without clearance.
    """
    spec = normalise(spec)
    entity = spec["entity"]
    org = scope.narrow(spec["org_code"])
    refs, code_values = tags.reference(entity)
    comp = conditions.Compiler(entity, refs, code_values, prefix, as_of)
    parts = [
        "e.status = 'active'",
        f"starts_with(e.grid_code, {comp.param(org)})",
    ]
    chosen = _resolve_tags(scope, entity, spec["tags"])
    entity_param = comp.param(entity) if any(chosen.values()) else None
    within = ""
    if len(org) > _DISTRICT_CODE_LENGTH:
        # Ids of one area are mostly contiguous and entity_tag is sorted by (tag, id), so this
        # range lets every scan skip the row groups of other areas (a street: ~5x faster).
        lo, hi = db.fetch_one(_ID_RANGES[entity], org_code=org)
        lo_param, hi_param = comp.param(lo), comp.param(hi)
        parts.append(f"e.id between {lo_param} and {hi_param}")
        within = f" and entity_id between {lo_param} and {hi_param}"

    def tag_select(tag: Mapping) -> str:
        return (
            f"select entity_id from entity_tag where entity = {entity_param}{within} "
            f"and tag_id = {comp.param(tag['id'])}"
        )

    sizes = _tag_sizes() if len(chosen["all"]) > 1 else {}
    for tag in sorted(chosen["all"], key=lambda t: sizes.get(t["id"], 0)):
        parts.append(f"e.id in ({tag_select(tag)})")
    if chosen["any"]:
        parts.append(f"e.id in ({' union all '.join(tag_select(t) for t in chosen['any'])})")
    for tag in chosen["none"]:
        parts.append(
            f"not exists (select 1 from entity_tag as x where x.entity = {entity_param}"
            f"{within.replace('entity_id', 'x.entity_id')} "
            f"and x.tag_id = {comp.param(tag['id'])} and x.entity_id = e.id)"
        )
    for number, cond in enumerate(spec["conditions"], start=1):
        try:
            sql = comp.condition(cond, number)
        except conditions.RuleError as exc:
            raise QueryError(str(exc)) from exc
        ref = refs[cond["field"]]
        if ref.sensitive and not scope.clearance:
            raise AccessDenied(f"您的角色无权按敏感字段“{ref.label}”筛选")
        parts.append(f"({sql})")
    return "\n    and ".join(parts), comp.params


def describe(spec: Any) -> str:
    """The spec in one Chinese line (for titles, logs and saved-query lists)."""
    spec = normalise(spec)
    by_code = {t["code"]: t for t in tags.tag_index()}
    by_id = {t["id"]: t for t in by_code.values()}

    def name(item) -> str:
        tag = by_id.get(item) if isinstance(item, int) else by_code.get(item)
        return tag["name"] if tag else str(item)

    words = []
    chosen = spec["tags"]
    if chosen["all"]:
        words.append("且".join(name(t) for t in chosen["all"]))
    if chosen["any"]:
        words.append("（" + " 或 ".join(name(t) for t in chosen["any"]) + "）")
    if chosen["none"]:
        words.append("不含" + "、".join(name(t) for t in chosen["none"]))
    refs, names = tags.reference(spec["entity"])
    for cond in spec["conditions"]:
        ref = refs.get(cond.get("field")) if isinstance(cond, Mapping) else None
        if ref is None:
            continue
        words.append(
            conditions.describe(
                ref, cond["op"], cond.get("value"), code_names=names, with_actual=False
            )
        )
    if spec["org_code"]:
        words.append(catalog.org_name(spec["org_code"]) or spec["org_code"])
    return ENTITY_NAMES[spec["entity"]] + "：" + ("，".join(words) if words else "全部")


def _subsidy_applies(spec: Mapping) -> bool:
    chosen = spec["tags"]
    return spec["entity"] == "resident" and bool(
        NEWBORN_TAGS & {t for t in chosen["all"] + chosen["any"] if isinstance(t, str)}
    )


def _subsidy_sql(comp: conditions.Compiler) -> str:
    whens = " ".join(
        f"when e.birth_order >= {comp.param(order)} then {comp.param(amount)}"
        for order, amount in CHILDCARE_SUBSIDY
    )
    return f"case {whens} else 0 end"


def subsidy_for(birth_order: Any) -> int | None:
    """The childcare subsidy (yuan) for a newborn of this birth order, None below the second."""
    if birth_order is None:
        return None
    for order, amount in CHILDCARE_SUBSIDY:
        if birth_order >= order:
            return amount
    return None


# ---------------------------------------------------------------------------------------------
# Counting and paging


def _table(entity: str) -> str:
    return tags.TABLES[entity]


@checked
def count(scope: Scope, spec: Any) -> int:
    """Number of active records of the spec's entity that match, in scope."""
    fragment, params = compile_filter(scope, spec)
    entity = normalise(spec)["entity"]
    with db.cursor() as cur:
        return cur.execute(
            f"select count(*) from {_table(entity)} as e where {fragment}", params
        ).fetchone()[0]


@checked
def summary(scope: Scope, spec: Any) -> dict[str, int | None]:
    """count, plus for residents the households they live in and (newborn queries) the
    childcare subsidy total in yuan."""
    spec = normalise(spec)
    fragment, params = compile_filter(scope, spec)
    entity = spec["entity"]
    comp = conditions.Compiler(entity, {}, {}, "tqs_")
    selects = ["count(*)"]
    if entity == "resident":
        selects.append("count(distinct e.household_id)")
        if _subsidy_applies(spec):
            selects.append(f"sum({_subsidy_sql(comp)})")
    sql = f"select {', '.join(selects)} from {_table(entity)} as e where {fragment}"
    params = {**params, **comp.params}
    # The statement carries the caller's scope in its parameters, so callers share an entry
    # only when they ask the very same question: a district's count is read once per version.
    row = db.cached("tag_query_summary", lambda *_: _one_row(sql, params), sql, repr(params))
    return {
        "count": row[0],
        "households": row[1] if entity == "resident" else None,
        "subsidy": int(row[2] or 0) if len(row) > 2 else None,
    }


def _one_row(sql: str, params: dict[str, Any]) -> tuple:
    with db.cursor() as cur:
        return cur.execute(sql, params).fetchone()


def _sort(entity: str, sort: str | None) -> tuple[tuple[str, ...], str]:
    sort = sort or "id"
    if sort not in SORTS[entity]:
        _fail(f"不支持的排序方式“{sort}”")
    _, columns, order = SORTS[entity][sort]
    return columns, order


def _page_ids(
    scope: Scope, spec: Mapping, limit: int, offset: int, sort: str | None
) -> tuple[list[int], int | None]:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        _fail(f"每页行数应在 1–{MAX_PAGE} 之间")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        _fail("页码不正确")
    fragment, params = compile_filter(scope, spec)
    columns, order = _sort(spec["entity"], sort)
    selected = ", ".join(f"e.{c}" for c in ("id", *columns))
    params = {**params, "tq_limit": limit, "tq_offset": offset}
    # The matches are found once and kept: the count and the page both read them, so the
    # first page costs about what the count alone does. Display columns are looked up after.
    sql = (
        f"with hit as materialized (select {selected} from {_table(spec['entity'])} as e "
        f"where {fragment}) "
        f"select id, (select count(*) from hit) from hit "
        f"order by {order} limit $tq_limit offset $tq_offset"
    )
    with db.cursor() as cur:
        rows = cur.execute(sql, params).fetchall()
    return [r[0] for r in rows], (rows[0][1] if rows else None)


@checked
def columns(scope: Scope, spec: Any) -> list[Column]:
    """The result columns for this spec (field types and sensitivity from the field standard)."""
    spec = normalise(spec)
    entity = spec["entity"]
    refs, _ = tags.reference(entity)
    out = []
    for key, label, source in _COLUMNS[entity]:
        ref = refs.get(source)
        if ref is None:
            out.append(Column(key, label, source if source in _PLAIN_TYPES else "text"))
        else:
            out.append(Column(key, label, ref.data_type, ref.code_list, ref.sensitive))
    if _subsidy_applies(spec):
        out[3:3] = _NEWBORN_COLUMNS
    if scope.role == "dept_staff":
        # Least privilege: a department lists only the fields its own (and granted) report
        # templates show over the same scope, never more through the query page.
        needed = _department_fields(scope, entity) | {"street", "community", "grid"}
        out = [c for c in out if _field_of(c.key, refs) in needed]
    return out


# Result columns named otherwise than the template field that gives the same value.
_TEMPLATE_FIELD = {"members": "member_count", "subsidy": "childcare_subsidy"}


def _field_of(key: str, refs: Mapping[str, Any]) -> str:
    ref = refs.get(key)
    return ref.code if ref is not None and ref.code else _TEMPLATE_FIELD.get(key, key)


def _department_fields(scope: Scope, entity: str) -> set[str]:
    """Fields (and derived values) shown by the templates of this entity the department uses."""
    from yibiaotong.reports import store  # reports is built on tag_query: import at call time

    fields: set[str] = set()
    for template in store.templates(scope, entity=entity):
        for column in template["definition"].get("columns") or []:
            fields.add(column.get("field") or column.get("derived"))
    return fields - {None}


def _rows(
    cur: duckdb.DuckDBPyConnection, entity: str, ids: Sequence[int], orgs: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Display rows for ids, in the order of ids; each lookup is by primary key, never a join."""
    rows = {r["id"]: r for r in db.run_ids(cur, _ROW_QUERIES[entity], ids)}
    records = [rows[i] for i in ids if i in rows]
    today = date.today()
    if entity == "resident":
        households = {
            h["id"]: h
            for h in db.run_ids(
                cur,
                "tag_query/household_numbers",
                sorted({r["household_id"] for r in records if r["household_id"]}),
            )
        }
        people = {h["head_id"] for h in households.values()} | {r["mother_id"] for r in records}
        names = {
            p["id"]: p["name"]
            for p in db.run_ids(cur, "tag_query/resident_names", sorted(p for p in people if p))
        }
        for r in records:
            household = households.get(r["household_id"]) or {}
            r["household_no"] = household.get("household_no")
            r["head_name"] = names.get(household.get("head_id"))
            r["mother_name"] = names.get(r["mother_id"])
            r["age"] = conditions.age_on(r["birth_date"], today)
            r["subsidy"] = subsidy_for(r["birth_order"])
    elif entity == "household":
        heads = {
            p["id"]: p["name"]
            for p in db.run_ids(
                cur,
                "tag_query/resident_names",
                sorted({r["head_id"] for r in records if r["head_id"]}),
            )
        }
        members = {
            m["household_id"]: m["members"]
            for m in db.run_ids(cur, "tag_query/household_members", [r["id"] for r in records])
        }
        for r in records:
            r["head_name"] = heads.get(r["head_id"])
            r["members"] = members.get(r["id"], 0)
    for r in records:
        grid = r["grid_code"] or ""
        r["community"] = orgs.get(grid[:12])
        r["grid"] = orgs.get(grid)
    return records


def _code_names(cols: Sequence[Column]) -> dict[str, dict[str, str]]:
    return {c.key: tags.code_names(c.code_list) for c in cols if c.code_list}


def _present(
    records: Sequence[Mapping[str, Any]],
    cols: Sequence[Column],
    names: Mapping[str, Mapping[str, str]],
    unmasked: bool,
) -> list[list[Any]]:
    """Values as a user reads them: code names, and sensitive values masked unless cleared."""
    out = []
    for r in records:
        row = []
        for c in cols:
            value = r.get(c.key)
            if c.code_list and value is not None:
                value = names[c.key].get(str(value), value)
            if c.sensitive and not unmasked:
                value = masking.mask_value(c.data_type if not c.code_list else "code", value)
            row.append(value)
        out.append(row)
    return out


@checked
def page(
    scope: Scope, spec: Any, limit: int = 50, offset: int = 0, sort: str | None = None
) -> pd.DataFrame:
    """One page of matching records as a DataFrame with Chinese column labels.

    Sensitive columns are masked unless the scope is cleared. `df.attrs["total"]` is the
    number of matches (found in the same query: count and first page in one pass) and
    `df.attrs["ids"]` the record ids of the rows (for explanations).
    """
    spec = normalise(spec)
    ids, total = _page_ids(scope, spec, limit, offset, sort)
    if total is None:
        total = count(scope, spec) if offset else 0
    cols = columns(scope, spec)
    with db.cursor() as cur:
        records = _rows(cur, spec["entity"], ids, catalog.org_names(scope.org_code))
    values = _present(records, cols, _code_names(cols), scope.clearance)
    if scope.clearance and any(c.sensitive for c in cols) and records:
        ids = tuple(r["id"] for r in records)
        audit.viewed(
            scope,
            "list_view",
            (spec["entity"], ids),
            f"标签查询 {describe(spec)}：{len(ids)} 行（第 {offset + 1} 行起，含未脱敏敏感字段）",
        )
    df = pd.DataFrame(values, columns=[c.label for c in cols])
    df.attrs["total"] = int(total)
    df.attrs["ids"] = [r["id"] for r in records]
    return df


@checked
def breakdown(scope: Scope, spec: Any, level: str | None = None) -> pd.DataFrame:
    """Matches per street, community or grid inside the (narrowed) scope.

    Columns: 代码, 名称, 数量, one row per unit in display order (units without a match left out).
    The default level is the one below the narrowed org unit.
    """
    spec = normalise(spec)
    org = scope.narrow(spec["org_code"])
    level = level or catalog.next_level(org)
    if level not in LEVELS:
        _fail(f"不支持的统计层级“{level}”")
    if LEVELS[level] < len(org):
        _fail(f"当前范围已小于{LEVEL_NAMES[level]}，请选择更细的层级")
    fragment, params = compile_filter(scope, spec)
    params = {**params, "tq_len": LEVELS[level]}
    sql = (
        f"select substr(e.grid_code, 1, $tq_len) as code, count(*) as n "
        f"from {_table(spec['entity'])} as e where {fragment} group by 1"
    )
    with db.cursor() as cur:
        counts = dict(cur.execute(sql, params).fetchall())
    units = catalog.org_units_under(org, level)
    rows = [(u["code"], u["name"], counts[u["code"]]) for u in units if counts.get(u["code"])]
    known = {u["code"] for u in units}
    rows += [(code, code, n) for code, n in sorted(counts.items()) if code not in known]
    return pd.DataFrame(rows, columns=["代码", "名称", "数量"])


# ---------------------------------------------------------------------------------------------
# Export


@checked
def iter_rows(
    scope: Scope, spec: Any, sort: str | None = None, unmasked: bool = False, batch: int = 2000
) -> Iterator[list[Any]]:
    """Every matching row, presented and (unless `unmasked`) masked, fetched in batches."""
    spec = normalise(spec)
    if unmasked and not scope.clearance:
        raise AccessDenied("您的角色无权导出未脱敏的敏感信息")
    fragment, params = compile_filter(scope, spec)
    _, order = _sort(spec["entity"], sort)
    cols = columns(scope, spec)
    names = _code_names(cols)
    orgs = catalog.org_names(scope.org_code)
    sql = f"select e.id from {_table(spec['entity'])} as e where {fragment} order by {order}"
    with db.cursor() as ids_cur, db.cursor() as cur:
        rel = ids_cur.execute(sql, params)
        while chunk := rel.fetchmany(batch):
            records = _rows(cur, spec["entity"], [r[0] for r in chunk], orgs)
            yield from _present(records, cols, names, unmasked)


@checked
def export(
    scope: Scope,
    spec: Any,
    target: str | Path | IO[bytes],
    sort: str | None = None,
    unmasked: bool = False,
) -> int:
    """Write all matches to a formatted .xlsx at `target`; log the export; return the row count.

    Sensitive columns stay masked unless `unmasked` and the scope is cleared; every export is
    recorded in access_log (unmasked ones say so).
    """
    spec = normalise(spec)
    cols = columns(scope, spec)
    excel_cols = [
        ExcelColumn(
            c.label,
            "text"
            if c.sensitive and not unmasked
            else ("money" if c.key == "subsidy" else kind_of(c.data_type)),
        )
        for c in cols
    ]
    label = describe(spec)
    masked_note = "未脱敏" if unmasked else "已脱敏"
    title = f"标签查询 · {label} · {catalog.org_name(scope.narrow(spec['org_code']))} · {date.today():%Y-%m-%d} 导出（{masked_note}）"
    rows = iter_rows(scope, spec, sort, unmasked)
    try:
        n = write_xlsx(target, excel_cols, rows, sheet_name="查询结果", title=title)
    except ValueError as exc:
        raise QueryError(str(exc)) from exc
    with db.transaction() as cur:
        auth.log_access(
            cur, scope.username, "tag_query_export", f"导出 {n} 行（{masked_note}）：{label}"
        )
    return n


# ---------------------------------------------------------------------------------------------
# Saved queries


def _spec_json(scope: Scope, spec: Any) -> str:
    spec = normalise(spec)
    compile_filter(scope, spec)  # only specs that run are saved
    return json.dumps(spec, ensure_ascii=False, sort_keys=True)


@checked
def save_query(scope: Scope, name: str, spec: Any, shared: bool = False) -> int:
    """Save (or overwrite, by name) one of the caller's queries; return its id."""
    name = (name or "").strip()
    if not name:
        _fail("请填写查询名称")
    if len(name) > 50:
        _fail("查询名称不能超过 50 个字")
    text = _spec_json(scope, spec)
    with db.transaction() as cur:
        row = db.run(cur, "tag_query/find_saved", owner=scope.username, name=name).fetchone()
        if row:
            db.run(
                cur,
                "tag_query/update_saved",
                id=row[0],
                owner=scope.username,
                shared=bool(shared),
                spec=text,
            )
            return row[0]
        return db.run(
            cur,
            "tag_query/insert_saved",
            name=name,
            owner=scope.username,
            org_code=scope.org_code,
            shared=bool(shared),
            spec=text,
        ).fetchone()[0]


@checked
def list_saved(scope: Scope) -> list[dict[str, Any]]:
    """The caller's own queries and those shared within their line of org units."""
    rows = db.fetch_dicts("tag_query/list_saved", username=scope.username, org_code=scope.org_code)
    for row in rows:
        row["spec"] = json.loads(row["spec"]) if isinstance(row["spec"], str) else row["spec"]
        row["mine"] = row["owner"] == scope.username
        try:
            row["description"] = describe(row["spec"])
        except QueryError:
            row["description"] = "（查询条件已失效）"
    return rows


@checked
def load_saved(scope: Scope, saved_id: int) -> dict[str, Any]:
    """The spec of a saved query the caller may see, fitted to the caller's scope."""
    for row in list_saved(scope):
        if row["id"] == saved_id:
            spec = normalise(row["spec"])
            if spec["org_code"] and not scope.covers(spec["org_code"]):
                spec["org_code"] = None  # a colleague's narrower unit: run it over my own scope
            return spec
    raise QueryError("查询不存在，或未共享给您")


@checked
def delete_saved(scope: Scope, saved_id: int) -> None:
    with db.transaction() as cur:
        db.run(cur, "tag_query/delete_saved", id=int(saved_id), owner=scope.username)


@checked
def set_as_report(scope: Scope, saved_id: int, as_report: bool = True) -> None:
    """Mark one of the caller's saved queries as a report template (the report centre lists it)."""
    with db.transaction() as cur:
        db.run(
            cur,
            "tag_query/set_as_report",
            id=int(saved_id),
            owner=scope.username,
            as_report=bool(as_report),
        )


@checked
def report_templates(scope: Scope) -> list[dict[str, Any]]:
    """Saved queries marked as report templates that the caller may run (own or shared within
    their line of org units), as list_saved gives them."""
    return [row for row in list_saved(scope) if row["as_report"]]
