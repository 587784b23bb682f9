"""Tags: the field whitelist, rule compiler and refresh, tag counts and per-record explanations."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import duckdb

from yibiaotong import auth, catalog, conditions, db
from yibiaotong.conditions import Compiler, FieldRef, RuleError
from yibiaotong.permissions import checked
from yibiaotong.scope import AccessDenied, Scope

ENTITIES = catalog.ENTITIES
ENTITY_NAMES = catalog.ENTITY_NAMES
# Ledger tables are the entity names themselves; nothing else is ever spliced in as a table.
TABLES = {entity: entity for entity in ENTITIES}
KIND_NAMES = {"rule": "规则计算", "manual": "手工标记", "import": "数据回流"}
_COUNT_QUERIES = {
    "resident": "tags/counts_resident",
    "household": "tags/counts_household",
    "house": "tags/counts_house",
    "shop": "tags/counts_shop",
}
# Refreshing residents changes household aggregates (member counts), so household rules follow.
_DEPENDENTS = {"resident": ("resident", "household"), "household": ("household", "resident")}
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


_DERIVED = {
    "resident": (
        FieldRef("age", None, "年龄", "resident", "int", unit="岁"),
        FieldRef("age_months", None, "月龄", "resident", "int", unit="个月"),
        FieldRef("household.member_count", None, "户内在册人数", "resident", "int", unit="人"),
        FieldRef(
            "household.children_under_18", None, "户内未成年人数", "resident", "int", unit="人"
        ),
    ),
    "household": (
        FieldRef("member_count", None, "在册成员数", "household", "int", unit="人"),
        FieldRef("children_under_18", None, "未成年成员数", "household", "int", unit="人"),
    ),
    "house": (),
    "shop": (),
}


def _check_entity(entity: str) -> None:
    if entity not in ENTITIES:
        raise RuleError(f"未知的对象类型：{entity!r}")


def _field_defs(entity: str, cur: duckdb.DuckDBPyConnection | None) -> list[dict[str, Any]]:
    """The entity's active field definitions, on `cur` while the catalogue is being loaded."""
    if cur is None:
        return catalog.field_defs(entity)
    rel = db.run(cur, "catalog/field_defs", entity=entity)
    cols = [d[0] for d in rel.description]
    return [dict(zip(cols, row, strict=True)) for row in rel.fetchall()]


def field_refs(entity: str, cur: duckdb.DuckDBPyConnection | None = None) -> dict[str, FieldRef]:
    """The whitelist of one entity: typed columns of the field standard plus derived values.

    Keys are both the column name and the field-standard code, so rules (which name columns)
    and query specs (which may name codes) resolve through the same table.
    """
    _check_entity(entity)
    defs = _field_defs(entity, cur)
    refs: dict[str, FieldRef] = {}
    for f in defs:
        column = f["column_name"]
        if not column or column in catalog.NON_FIELD_COLUMNS or not _IDENT.match(column):
            continue  # attrs fields have no column to compile against
        ref = FieldRef(
            key=column,
            code=f["code"],
            label=f["name"],
            entity=entity,
            data_type=f["data_type"],
            code_list=f["code_list"],
            sensitivity=f["sensitivity"],
            unit="平方米" if column == "area_sqm" else "",
            column=column,
        )
        refs[column] = ref
        refs[f["code"]] = ref
    for ref in _DERIVED[entity]:
        refs[ref.key] = ref
    # Record status is no field of the standard, but a rule may test it (catalog.check_rule).
    refs["status"] = FieldRef("status", None, "记录状态", entity, "text", column="status")
    return refs


def attr_refs(entity: str, cur: duckdb.DuckDBPyConnection | None = None) -> dict[str, FieldRef]:
    """Fields of the standard kept in the entity's JSON `attrs` (added later, no column): a
    report may show them; rules and query conditions cannot test them."""
    _check_entity(entity)
    return {
        f["code"]: FieldRef(
            key=f["code"],
            code=f["code"],
            label=f["name"],
            entity=entity,
            data_type=f["data_type"],
            code_list=f["code_list"],
            sensitivity=f["sensitivity"],
        )
        for f in _field_defs(entity, cur)
        if not f["column_name"]
    }


def reference(entity: str) -> tuple[dict[str, FieldRef], dict[str, dict[str, str]]]:
    """The entity's field whitelist and the code names of its code fields (cached)."""

    def build(entity: str):
        refs = field_refs(entity)
        return refs, _code_values(refs)

    _check_entity(entity)
    return db.catalog_cached("reference", build, entity)


def tag_index() -> list[dict[str, Any]]:
    """catalog.tag_tree(), cached per catalogue version."""
    return db.catalog_cached("tag_tree", catalog.tag_tree)


def code_names(list_code: str) -> dict[str, str]:
    """Code → name of one code list (catalog.code_items, cached per catalogue version)."""
    return catalog.code_items(list_code)


def _code_values(refs: Mapping[str, FieldRef], cur=None) -> dict[str, dict[str, str]]:
    """Code → name of every code-list field among `refs` (keyed by column name)."""
    out: dict[str, dict[str, str]] = {}
    for ref in refs.values():
        if ref.code_list and ref.column and ref.column not in out:
            if cur is None:
                out[ref.column] = catalog.code_items(ref.code_list)
            else:
                rows = db.run(cur, "catalog/code_items", list_code=ref.code_list).fetchall()
                out[ref.column] = dict(rows)
    return out


def _tests_status(rule: Mapping) -> bool:
    return any(c.get("field") == "status" for c in rule.get("conditions", []))


def validate_rule(entity: str, rule: Any, cur: duckdb.DuckDBPyConnection | None = None) -> dict:
    """Check a rule against the field standard; return it normalised or raise RuleError."""
    refs = field_refs(entity, cur)
    code_values = _code_values(refs, cur)
    Compiler(entity, refs, code_values).rule(rule)  # Chinese messages for what users get wrong
    columns = {r.column for r in refs.values() if r.column} | {"status"}
    try:
        catalog.check_rule(rule, entity, columns, {k: set(v) for k, v in code_values.items()})
    except ValueError as exc:
        raise RuleError(f"规则未通过字段标准校验：{exc}") from exc
    return {"match": rule["match"], "conditions": [dict(c) for c in rule["conditions"]]}


def _rule_of(row_rule: Any) -> dict:
    return json.loads(row_rule) if isinstance(row_rule, str) else row_rule


# ---------------------------------------------------------------------------------------------
# Refresh


def _household_cte(adult_born_by: str, restrict: str | None) -> str:
    """Per-household counts of active members (and of minors) for the rules that need them."""
    where = "status = 'active' and household_id is not null"
    if restrict:
        where += (
            f" and household_id between list_min({restrict}::bigint[])"
            f" and list_max({restrict}::bigint[])"
            f" and household_id in (select unnest({restrict}::bigint[]))"
        )
    return (
        "hh as (select household_id, count(*) as member_count, "
        f"count(*) filter (where birth_date > {adult_born_by}) as children_under_18 "
        f"from resident where {where} group by household_id)"
    )


def _refresh_entity(
    cur: duckdb.DuckDBPyConnection, entity: str, ids: list[int] | None, as_of: date
) -> dict[str, int]:
    tags = db.run(cur, "tags/rule_tags", entity=entity).fetchall()
    if ids is not None:
        db.run(cur, "tags/delete_rule_rows_of", entity=entity, ids=ids, **_bounds(ids))
    elif not tags:
        db.run(cur, "tags/delete_rule_rows", entity=entity)
    if not tags or ids == []:
        return {code: 0 for _, code, *_ in tags}

    refs = field_refs(entity, cur)
    comp = Compiler(entity, refs, _code_values(refs, cur), "r", as_of, household_join="hh")
    branches = []
    for tag_id, _code, _name, _entity, rule in tags:
        rule = _rule_of(rule)
        condition = comp.rule(rule)
        if not _tests_status(rule):
            condition = f"e.status = 'active' and {condition}"
        branches.append((comp.param(tag_id), condition))
    source, ctes = TABLES[entity], []
    if ids is not None:
        # A write batch: read its few records once, then every rule branch scans only them.
        source = "batch"
        ctes.append(
            f"batch as materialized (select * from {TABLES[entity]} "
            f"where id in (select unnest({comp.param(ids)}::bigint[])))"
        )
    join = ""
    if comp.uses_household:
        household_ids = None
        if ids is not None:
            household_ids = comp.param(ids if entity == "household" else _households_of(cur, ids))
        ctes.append(_household_cte(comp.bound("age", 18), household_ids))
        key = "e.household_id" if entity == "resident" else "e.id"
        join = f" left join hh on hh.household_id = {key}"
    # One branch per tag: each is a columnar scan with its own filter; sorting by tag keeps
    # a tag's rows together, so the zone maps of entity_tag.tag_id skip most of the table.
    selects = " union all ".join(
        f"select {tag_param} as tag_id, e.id as entity_id from {source} as e{join} "
        f"where {condition}"
        for tag_param, condition in branches
    )
    with_ctes = f"with {', '.join(ctes)} " if ctes else ""
    if ids is not None:
        inserted = cur.execute(
            "insert into entity_tag (entity, entity_id, tag_id, source, assigned_by) "
            f"{with_ctes}select {comp.param(entity)}, entity_id, tag_id, 'rule', 'rule' "
            f"from ({selects}) order by tag_id, entity_id returning tag_id",
            comp.params,
        ).fetchall()
        by_id = Counter(tag_id for (tag_id,) in inserted)
        return {code: by_id[tag_id] for tag_id, code, *_ in tags}
    # A full refresh computes the new set aside and then touches only rows that changed: a
    # refresh that finds little new work writes little, and entity_tag does not fill up with
    # deleted rows that every tag query would still have to scan.
    cur.execute(f"create or replace temp table rule_fresh as {with_ctes}{selects}", comp.params)
    for statement in (_DELETE_STALE, _INSERT_NEW):
        cur.execute(statement, {"entity": entity})
    by_id = dict(cur.execute("select tag_id, count(*) from rule_fresh group by tag_id").fetchall())
    cur.execute("drop table rule_fresh")
    return {code: by_id.get(tag_id, 0) for tag_id, code, *_ in tags}


# Statements over the refresh's own temp table (it exists only inside _refresh_entity, so they
# cannot live in queries/, where every file must run on its own).
_DELETE_STALE = """
delete from entity_tag
where
    entity = $entity
    and source = 'rule'
    and not exists (
        select 1
        from rule_fresh
        where rule_fresh.tag_id = entity_tag.tag_id and rule_fresh.entity_id = entity_tag.entity_id
    )
"""
_INSERT_NEW = """
insert into entity_tag (entity, entity_id, tag_id, source, assigned_by)
select
    $entity,
    rule_fresh.entity_id,
    rule_fresh.tag_id,
    'rule',
    'rule'
from rule_fresh
where not exists (
    select 1
    from entity_tag
    where
        entity_tag.entity = $entity
        and entity_tag.source = 'rule'
        and entity_tag.tag_id = rule_fresh.tag_id
        and entity_tag.entity_id = rule_fresh.entity_id
)
order by rule_fresh.tag_id, rule_fresh.entity_id
"""


def _bounds(ids: list[int]) -> dict[str, int | None]:
    """lo/hi of a batch's ids: with zone maps, a scan skips the row groups outside them."""
    return {"lo": min(ids, default=None), "hi": max(ids, default=None)}


def _households_of(cur: duckdb.DuckDBPyConnection, resident_ids: list[int]) -> list[int]:
    return [h for (h,) in db.run(cur, "tags/households_of_residents", ids=resident_ids).fetchall()]


def refresh_rules(
    cur: duckdb.DuckDBPyConnection,
    entity: str | None = None,
    *,
    ids: Iterable[int] | None = None,
    as_of: date | None = None,
) -> dict[str, int]:
    """Recompute rule tags into entity_tag (source 'rule') inside the caller's transaction.

    entity None refreshes all four entities; 'resident' also refreshes household rules (their
    member counts come from residents) and vice versa. `ids` (with an entity) limits the work to
    those records and their households' members, for the ledger's small write batches; a
    resident who moved should be refreshed together with both households' ids. Returns the
    number of tagged records per rule-tag code (of the refreshed records).
    """
    as_of = as_of or date.today()
    if ids is None:
        entities = ENTITIES if entity is None else _DEPENDENTS.get(entity, (entity,))
        counts: dict[str, int] = {}
        for name in entities:
            counts.update(_refresh_entity(cur, name, None, as_of))
        return counts
    if entity is None:
        raise ValueError("ids need an entity")
    _check_entity(entity)
    ids = sorted({int(i) for i in ids})
    if entity == "resident":
        households = _households_of(cur, ids)
    elif entity == "household":
        households = ids
    else:
        return _refresh_entity(cur, entity, ids, as_of)
    members = [
        r
        for (r,) in db.run(
            cur, "tags/members_of_households", ids=households, **_bounds(households)
        ).fetchall()
    ]
    residents = sorted(set(members) | (set(ids) if entity == "resident" else set()))
    counts = _refresh_entity(cur, "resident", residents, as_of)
    counts.update(_refresh_entity(cur, "household", households, as_of))
    return counts


# ---------------------------------------------------------------------------------------------
# Reading tags for the picker and for one record


@checked
def visible(scope: Scope, tag: Mapping) -> bool:
    """Sensitive tags exist only for cleared roles."""
    return scope.clearance or tag.get("sensitivity") != "sensitive"


@checked
def tag_counts(scope: Scope, entity: str, org_code: str | None = None) -> dict[int, int]:
    """Active records per tag id in the scope (or a narrower org inside it); tags the caller
    may not see (sensitive ones without clearance) are not counted for them."""
    _check_entity(entity)
    org = scope.narrow(org_code)
    shown = {t["id"] for t in tag_index() if visible(scope, t)}
    counts = db.cached("tag_counts", _all_tag_counts, entity, org)
    return {i: n for i, n in counts.items() if i in shown}


def _all_tag_counts(entity: str, org_code: str) -> dict[int, int]:
    """Every tag's count under an org, for any caller (a district's residents take ~1 s): each
    caller's view is filtered from it, so it is computed once per data version, not per user."""
    return dict(db.fetch_all(_COUNT_QUERIES[entity], org_code=org_code))


@checked
def tree(scope: Scope, entity: str, org_code: str | None = None) -> list[dict[str, Any]]:
    """The taxonomy of one entity for the picker: tags in tree order with counts in scope.

    Sensitive tags (and everything under them) are left out for roles without clearance.
    Each row: id, code, name, category, category_name, parent_code, depth, kind, sensitivity,
    description, rule, count, path (category › parent › tag).
    """
    counts = tag_counts(scope, entity, org_code)
    rows, hidden, paths = [], set(), {}
    for tag in tag_index():  # parents come before their children
        if tag["entity"] != entity:
            continue
        if not visible(scope, tag) or tag["parent_code"] in hidden:
            hidden.add(tag["code"])
            continue
        parent_path = paths.get(tag["parent_code"], tag["category_name"])
        paths[tag["code"]] = f"{parent_path} › {tag['name']}"
        rows.append({**tag, "count": counts.get(tag["id"], 0), "path": paths[tag["code"]]})
    return rows


def rule_fields(entity: str) -> list[FieldRef]:
    """Fields an admin may use in a rule of `entity`, in display order, each once."""
    seen, out = set(), []
    for ref in reference(entity)[0].values():
        if ref.key not in seen:
            seen.add(ref.key)
            out.append(ref)
    return out


def _record_values(
    cur: duckdb.DuckDBPyConnection, entity: str, entity_id: int, refs: Mapping[str, FieldRef]
) -> dict[str, Any] | None:
    """grid_code and every whitelisted field value of one record (derived ones included)."""
    comp = Compiler(entity, refs, {}, "x")
    keys = sorted({ref.key for ref in refs.values()})
    columns = ", ".join(f"{comp.field_sql(refs[k])} as c{i}" for i, k in enumerate(keys))
    sql = (
        f"select e.grid_code, e.status, {columns} from {TABLES[entity]} as e "
        f"where e.id = {comp.param(int(entity_id))}"
    )
    rel = cur.execute(sql, comp.params)
    row = rel.fetchone()
    if row is None:
        return None
    values = {"grid_code": row[0], "status": row[1]}
    values.update({k: row[i + 2] for i, k in enumerate(keys)})
    return values


def describe_rule(entity: str, rule: Mapping) -> str:
    """A whole rule in Chinese, for the admin form and the picker's help text."""
    refs, names = reference(entity)
    parts = [
        conditions.describe(
            refs[c["field"]], c["op"], c.get("value"), code_names=names, with_actual=False
        )
        if c.get("field") in refs
        else str(c)
        for c in rule.get("conditions", [])
    ]
    return ("且" if rule.get("match") == "all" else "或").join(parts)


@checked
def explain(scope: Scope, entity: str, entity_id: int) -> list[dict[str, Any]]:
    """Why a record carries each of its tags: [{tag, code, category, kind, source, reason}].

    The record must lie in the caller's scope; sensitive tags, and the values of sensitive
    fields, are left out for roles without clearance.
    """
    refs, code_names = reference(entity)
    with db.cursor() as cur:
        values = _record_values(cur, entity, entity_id, refs)
        if values is None or not scope.covers(values["grid_code"]):
            raise AccessDenied("记录不存在，或不在您的辖区内")
        rel = db.run(cur, "tags/record_tags", entity=entity, entity_id=int(entity_id))
        cols = [d[0] for d in rel.description]
        rows = [dict(zip(cols, row, strict=True)) for row in rel.fetchall()]
    out = []
    for row in rows:
        if not visible(scope, row):
            continue
        when = row["assigned_at"].strftime("%Y-%m-%d") if row["assigned_at"] else ""
        if row["source"] == "rule" and row["rule"]:
            reason = _rule_reason(scope, _rule_of(row["rule"]), refs, values, code_names)
        elif row["source"] == "manual":
            reason = f"由 {row['assigned_by']} 于 {when} 手工标记"
        elif row["source"] == "import":
            reason = f"数据回流导入（{row['assigned_by']}，{when}）"
        else:
            reason = "规则已删除，等待重新计算"
        out.append(
            {
                "tag": row["name"],
                "code": row["code"],
                "category": row["category_name"],
                "kind": row["kind"],
                "source": row["source"],
                "source_name": KIND_NAMES.get(row["source"], row["source"]),
                "reason": reason,
            }
        )
    return out


def _rule_reason(scope, rule, refs, values, code_names) -> str:
    held, missed = [], []
    for cond in rule["conditions"]:
        ref = refs.get(cond["field"])
        if ref is None:
            return "规则引用的字段已停用，等待重新计算"
        actual = values.get(ref.key)
        target = cond.get("value")
        if ref.data_type == "date" and isinstance(target, str):
            target = date.fromisoformat(target)
        ok = conditions.holds(cond["op"], actual, target)
        hide = ref.sensitive and not scope.clearance
        text = conditions.describe(
            ref, cond["op"], cond.get("value"), actual, code_names, with_actual=not hide
        )
        (held if ok else missed).append(text)
    if rule["match"] == "all" and not missed:
        return "，".join(held)
    if rule["match"] == "any" and held:
        return held[0]
    return "数据已变化，等待重新计算（" + "，".join(missed or held) + "）"


# ---------------------------------------------------------------------------------------------
# Editing rules (district admin only)


def rule_from_rows(entity: str, match: str, rows: Iterable[Mapping[str, Any]]) -> dict:
    """A rule from the editor's rows {字段: label, 运算: op name, 取值: text} (blank rows skipped)."""
    fields = {ref.label: ref for ref in rule_fields(entity)}
    _, code_values = reference(entity)
    rule_conditions = []
    for number, row in enumerate(rows, start=1):
        label, op_name = row.get("字段"), row.get("运算")
        text = "" if row.get("取值") is None else str(row.get("取值")).strip()
        if not label and not op_name and not text:
            continue
        where = f"第 {number} 行："
        ref = fields.get(label)
        if ref is None:
            raise RuleError(f"{where}请选择字段")
        op = conditions.BY_LABEL.get(op_name)
        if op is None:
            raise RuleError(f"{where}请选择运算")
        cond: dict[str, Any] = {"field": ref.key, "op": op.key}
        value = conditions.parse_value(ref, op.key, text, code_values, where)
        if value is not None:
            cond["value"] = value
        rule_conditions.append(cond)
    if not rule_conditions:
        raise RuleError("规则至少需要一个条件")
    return {"match": match, "conditions": rule_conditions}


@checked
def update_rule(scope: Scope, code: str, rule: Any) -> dict[str, int]:
    """Validate and store a rule tag's rule, log it and refresh that entity's rule tags."""
    with db.transaction() as cur:
        row = db.run(cur, "tags/get_tag", code=code).fetchone()
        if row is None:
            raise RuleError(f"标签“{code}”不存在")
        _id, _code, name, _category, entity, kind, old_rule, _sens, status = row
        if kind != "rule":
            raise RuleError(f"“{name}”不是规则标签，不能设置规则")
        if status != "active":
            raise RuleError(f"“{name}”已停用")
        rule = validate_rule(entity, rule, cur)
        text = json.dumps(rule, ensure_ascii=False)
        db.run(cur, "tags/update_rule", code=code, rule=text, username=scope.username)
        auth.log_access(
            cur,
            scope.username,
            "tag_rule_edit",
            f"修改规则标签 {name}（{code}）：{old_rule} → {text}",
        )
        counts = refresh_rules(cur, entity)
        db.bump_data_version(cur)
    return counts
