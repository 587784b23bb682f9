"""Reference catalogue: validate data/catalog/*.yaml, load it into DuckDB and read it back."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import yaml

from yibiaotong import conditions, config, db

ENTITIES = ("resident", "household", "house", "shop")
ENTITY_NAMES = {"resident": "人口", "household": "户", "house": "房屋", "shop": "商铺"}
ENTITY_UNITS = {"resident": "人", "household": "户", "house": "套", "shop": "家"}
# Org levels below the district and the length of their codes (codes are hierarchical prefixes).
LEVELS = {"street": 9, "community": 12, "grid": 15}
LEVEL_NAMES = {"street": "街道", "community": "社区", "grid": "网格"}
SENSITIVITIES = ("public", "internal", "sensitive")
TAG_KINDS = ("manual", "rule", "import")
DATA_TYPES = ("text", "int", "decimal", "date", "bool", "code", "id_number", "uscc", "phone")
VALIDATORS = ("id_number", "uscc", "mobile", "phone", "date", "none")
# Bookkeeping columns of the ledger tables that are not fields of the standard.
NON_FIELD_COLUMNS = frozenset(
    {"id", "version", "created_at", "updated_at", "updated_by", "attrs", "status", "name_initials"}
)

RULE_OPS = frozenset(conditions.OPS)
RULE_MATCHES = conditions.RULE_MATCHES
# Values a rule may test besides the entity's own columns; the tag engine computes them.
DERIVED_FIELDS: dict[str, frozenset[str]] = {
    "resident": frozenset(
        {"age", "age_months", "household.member_count", "household.children_under_18"}
    ),
    "household": frozenset({"member_count", "children_under_18"}),
    "house": frozenset(),
    "shop": frozenset(),
}

_CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_CN_DIGITS = "零一二三四五六七八九"


class CatalogError(ValueError):
    """A catalogue file is invalid; the message names the file and the entry."""

    def __init__(self, file: str, entry: str, problem: str) -> None:
        super().__init__(f"{file}: {entry}: {problem}")
        self.file = file
        self.entry = entry
        self.problem = problem


@dataclass(frozen=True)
class Catalog:
    """The validated catalogue as rows keyed by the columns of the reference tables."""

    org_units: list[dict[str, Any]]
    departments: list[dict[str, Any]]
    code_lists: list[dict[str, Any]]
    code_items: list[dict[str, Any]]
    fields: list[dict[str, Any]]
    tag_categories: list[dict[str, Any]]
    tags: list[dict[str, Any]]  # `parent` is a tag code; `rule` a dict or None


# ---------------------------------------------------------------------------------------------
# Reading and validation (no database)


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys instead of keeping the last one."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


def _read_yaml(directory: Path, file: str) -> Any:
    path = directory / file
    if not path.is_file():
        raise CatalogError(file, "file", f"not found in {directory}")
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise CatalogError(file, "YAML", str(exc)) from exc


def _check_keys(
    file: str, entry: str, item: Any, allowed: Iterable[str], required: Iterable[str]
) -> None:
    if not isinstance(item, dict):
        raise CatalogError(file, entry, f"expected a mapping, got {type(item).__name__}")
    unknown = sorted(set(item) - set(allowed))
    if unknown:
        raise CatalogError(file, entry, f"unknown keys {unknown}")
    missing = sorted(set(required) - set(item))
    if missing:
        raise CatalogError(file, entry, f"missing keys {missing}")


def _text(file: str, entry: str, key: str, value: Any, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(file, entry, f"{key} must be a non-empty string, got {value!r}")
    return value.strip()


def _code(file: str, entry: str, value: Any, seen: set[str]) -> str:
    if not isinstance(value, str) or not _CODE_RE.match(value):
        raise CatalogError(file, entry, f"code {value!r} must be lowercase snake_case ASCII")
    if value in seen:
        raise CatalogError(file, entry, f"duplicate code {value!r}")
    seen.add(value)
    return value


def _one_of(file: str, entry: str, key: str, value: Any, allowed: Iterable[str]) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise CatalogError(file, entry, f"{key} {value!r} is not one of {list(allowed)}")
    return value


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 25 → 二十五 (1..99), as in 第十二网格."""
    if not 1 <= n <= 99:
        raise ValueError(f"{n} is outside 1..99")
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _CN_DIGITS[ones]
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


def _parse_org_units(data: Any) -> list[dict[str, Any]]:
    file = "org_units.yaml"
    _check_keys(file, "top level", data, ("district", "streets"), ("district", "streets"))
    district = data["district"]
    _check_keys(file, "district", district, ("code", "name"), ("code", "name"))
    d_code, d_name = district["code"], _text(file, "district", "name", district["name"])
    if not isinstance(d_code, str) or not re.fullmatch(r"\d{6}", d_code):
        raise CatalogError(file, "district", f"code {d_code!r} must be 6 digits, quoted")
    rows = [_org(d_code, d_name, "district", None, d_name, 0)]
    streets = data["streets"]
    if not isinstance(streets, list) or not streets:
        raise CatalogError(file, "streets", "must be a non-empty list")
    street_codes: set[str] = set()
    street_names: set[str] = set()
    for s_index, street in enumerate(streets, start=1):
        entry = f"street #{s_index}"
        _check_keys(file, entry, street, ("code", "name", "communities"), ("code", "name"))
        s_name = _text(file, entry, "name", street["name"])
        entry = f"street {s_name}"
        s_code = street["code"]
        if not isinstance(s_code, str) or not re.fullmatch(re.escape(d_code) + r"\d{3}", s_code):
            raise CatalogError(file, entry, f"code {s_code!r} must be {d_code} + 3 digits, quoted")
        if s_code in street_codes:
            raise CatalogError(file, entry, f"duplicate code {s_code!r}")
        if s_name in street_names:
            raise CatalogError(file, entry, f"duplicate name {s_name!r}")
        street_codes.add(s_code)
        street_names.add(s_name)
        s_path = f"{d_name}/{s_name}"
        rows.append(_org(s_code, s_name, "street", d_code, s_path, s_index))
        communities = street.get("communities") or []
        if not isinstance(communities, list):
            raise CatalogError(file, entry, "communities must be a list of [名称, 网格数]")
        c_codes: set[str] = set()
        c_names: set[str] = set()
        for c_index, item in enumerate(communities, start=1):
            c_entry = f"{entry}, community #{c_index}"
            if not isinstance(item, list) or len(item) not in (2, 3):
                raise CatalogError(
                    file, c_entry, f"expected [名称, 网格数] or [名称, 网格数, 序号], got {item!r}"
                )
            c_name = _text(file, c_entry, "name", item[0])
            c_entry = f"{entry}, community {c_name}"
            grids = item[1]
            seq = item[2] if len(item) == 3 else c_index
            if isinstance(grids, bool) or not isinstance(grids, int) or not 1 <= grids <= 99:
                raise CatalogError(file, c_entry, f"grid count {grids!r} must be 1..99")
            if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= 999:
                raise CatalogError(file, c_entry, f"position {seq!r} must be 1..999")
            c_code = f"{s_code}{seq:03d}"
            if c_code in c_codes:
                raise CatalogError(file, c_entry, f"duplicate code {c_code!r}")
            if c_name in c_names:
                raise CatalogError(file, c_entry, f"duplicate name {c_name!r}")
            c_codes.add(c_code)
            c_names.add(c_name)
            c_path = f"{s_path}/{c_name}"
            rows.append(_org(c_code, c_name, "community", s_code, c_path, seq))
            for g in range(1, grids + 1):
                g_name = f"{c_name}第{chinese_number(g)}网格"
                rows.append(
                    _org(f"{c_code}{g:03d}", g_name, "grid", c_code, f"{c_path}/{g_name}", g)
                )
    return rows


def _org(
    code: str, name: str, level: str, parent: str | None, full_name: str, sort_order: int
) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "level": level,
        "parent_code": parent,
        "full_name": full_name,
        "sort_order": sort_order,
    }


def _parse_departments(data: Any) -> list[dict[str, Any]]:
    file = "departments.yaml"
    _check_keys(file, "top level", data, ("departments",), ("departments",))
    items = data["departments"]
    if not isinstance(items, list) or not items:
        raise CatalogError(file, "departments", "must be a non-empty list")
    rows, codes, names = [], set(), set()
    for index, item in enumerate(items, start=1):
        entry = f"department #{index}"
        _check_keys(file, entry, item, ("code", "name"), ("code", "name"))
        entry = f"department {item['code']!r}"
        code = _code(file, entry, item["code"], codes)
        name = _text(file, entry, "name", item["name"])
        if name in names:
            raise CatalogError(file, entry, f"duplicate name {name!r}")
        names.add(name)
        rows.append({"code": code, "name": name, "sort_order": index})
    return rows


def _parse_code_lists(data: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    file = "code_lists.yaml"
    if not isinstance(data, dict) or not data:
        raise CatalogError(file, "top level", "expected a mapping of code lists")
    lists, items, codes = [], [], set()
    for list_code, spec in data.items():
        entry = f"code list {list_code!r}"
        _code(file, entry, list_code, codes)
        _check_keys(file, entry, spec, ("name", "standard", "items"), ("name", "items"))
        lists.append(
            {
                "code": list_code,
                "name": _text(file, entry, "name", spec["name"]),
                "standard": _text(file, entry, "standard", spec.get("standard"), optional=True),
            }
        )
        entries = spec["items"]
        if not isinstance(entries, dict) or not entries:
            raise CatalogError(file, entry, "items must be a non-empty mapping of code: name")
        for index, (code, name) in enumerate(entries.items(), start=1):
            if not isinstance(code, str) or not code.strip():
                raise CatalogError(
                    file, entry, f'item code {code!r} must be a quoted string, e.g. "01"'
                )
            items.append(
                {
                    "list_code": list_code,
                    "code": code,
                    "name": _text(file, f"{entry}, item {code!r}", "name", name),
                    "sort_order": index,
                }
            )
    return lists, items


_FIELD_KEYS = (
    "code",
    "name",
    "column_name",
    "data_type",
    "code_list",
    "required",
    "validator",
    "max_length",
    "sensitivity",
    "synonyms",
    "description",
    "sort_order",
)


def _parse_fields(data: Any, list_codes: set[str]) -> list[dict[str, Any]]:
    file = "fields.yaml"
    if not isinstance(data, dict):
        raise CatalogError(file, "top level", "expected a mapping of entity: [fields]")
    rows, codes = [], set()
    for entity, fields in data.items():
        _one_of(file, f"entity {entity!r}", "entity", entity, ENTITIES)
        if not isinstance(fields, list) or not fields:
            raise CatalogError(file, f"entity {entity}", "must be a non-empty list of fields")
        columns: dict[str, str] = {}
        headers: dict[str, str] = {}
        for index, item in enumerate(fields, start=1):
            entry = f"{entity} field #{index}"
            _check_keys(
                file, entry, item, _FIELD_KEYS, ("code", "name", "column_name", "data_type")
            )
            entry = f"field {item['code']!r}"
            code = _code(file, entry, item["code"], codes)
            name = _text(file, entry, "name", item["name"])
            data_type = _one_of(file, entry, "data_type", item["data_type"], DATA_TYPES)
            code_list = item.get("code_list")
            if data_type == "code" and code_list not in list_codes:
                raise CatalogError(file, entry, f"unknown code_list {code_list!r}")
            if data_type != "code" and code_list is not None:
                raise CatalogError(file, entry, "code_list is only for data_type code")
            column = _text(file, entry, "column_name", item["column_name"], optional=True)
            if column is not None:
                if column in columns:
                    raise CatalogError(
                        file, entry, f"column {column!r} already belongs to {columns[column]!r}"
                    )
                columns[column] = code
            required = item.get("required", False)
            if not isinstance(required, bool):
                raise CatalogError(file, entry, f"required must be true or false, got {required!r}")
            max_length = item.get("max_length")
            if max_length is not None and (
                isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1
            ):
                raise CatalogError(file, entry, f"max_length {max_length!r} must be a positive int")
            synonyms = item.get("synonyms") or []
            if not isinstance(synonyms, list) or not all(
                isinstance(s, str) and s.strip() for s in synonyms
            ):
                raise CatalogError(file, entry, "synonyms must be a list of strings")
            for header in [name, *synonyms]:
                if headers.get(header, code) != code:
                    raise CatalogError(
                        file, entry, f"header {header!r} already means field {headers[header]!r}"
                    )
                if header in headers and header != name:
                    raise CatalogError(file, entry, f"synonym {header!r} is repeated")
                headers[header] = code
            sort_order = item.get("sort_order", index * 10)
            if isinstance(sort_order, bool) or not isinstance(sort_order, int):
                raise CatalogError(file, entry, f"sort_order {sort_order!r} must be an int")
            rows.append(
                {
                    "code": code,
                    "entity": entity,
                    "name": name,
                    "data_type": data_type,
                    "column_name": column,
                    "code_list": code_list,
                    "required": required,
                    "validator": _one_of(
                        file, entry, "validator", item.get("validator", "none"), VALIDATORS
                    ),
                    "max_length": max_length,
                    "sensitivity": _one_of(
                        file,
                        entry,
                        "sensitivity",
                        item.get("sensitivity", "internal"),
                        SENSITIVITIES,
                    ),
                    "synonyms": [s.strip() for s in synonyms],
                    "description": _text(
                        file, entry, "description", item.get("description"), optional=True
                    ),
                    "sort_order": sort_order,
                }
            )
    return rows


def check_rule(
    rule: Any,
    entity: str,
    columns: Iterable[str],
    code_values: dict[str, set[str]] | None = None,
) -> None:
    """Raise ValueError unless `rule` is {match, conditions} with known fields, ops and values.

    `columns` are the entity's columns a rule may test; `code_values` maps a code column to
    its allowed codes, so a rule cannot test a code that does not exist.
    """
    if not isinstance(rule, dict) or set(rule) != {"match", "conditions"}:
        raise ValueError("rule must be {match: all|any, conditions: [...]}")
    if rule["match"] not in RULE_MATCHES:
        raise ValueError(f"match {rule['match']!r} is not one of {list(RULE_MATCHES)}")
    conds = rule["conditions"]
    if not isinstance(conds, list) or not conds:
        raise ValueError("conditions must be a non-empty list")
    known = set(columns) | DERIVED_FIELDS.get(entity, frozenset())
    code_values = code_values or {}
    for number, cond in enumerate(conds, start=1):
        where = f"condition #{number}"
        if not isinstance(cond, dict) or not {"field", "op"} <= set(cond) <= {
            "field",
            "op",
            "value",
        }:
            raise ValueError(f"{where} must be {{field, op, value}}")
        field, op = cond["field"], cond["op"]
        if field not in known:
            raise ValueError(f"{where}: unknown field {field!r} for {entity}")
        if op not in RULE_OPS:
            raise ValueError(f"{where}: unknown op {op!r}, expected one of {sorted(RULE_OPS)}")
        value = cond.get("value")
        shape = conditions.OPS[op].shape
        if shape is conditions.NONE:
            if value is not None:
                raise ValueError(f"{where}: {op} takes no value")
            continue
        if shape is conditions.LIST:
            if not isinstance(value, list) or not value:
                raise ValueError(f"{where}: {op} needs a non-empty list")
            values = value
        elif shape is conditions.PAIR:
            if not isinstance(value, list) or len(value) != 2:
                raise ValueError(f"{where}: {op} needs [lo, hi]")
            values = value
        else:
            values = [value]
        if not all(isinstance(v, str | int | float | bool) for v in values):
            raise ValueError(f"{where}: values must be strings, numbers or booleans")
        if shape is conditions.PAIR and (
            isinstance(values[0], str) != isinstance(values[1], str) or values[0] > values[1]
        ):
            raise ValueError(f"{where}: between needs [lo, hi] of one type with lo <= hi")
        allowed = code_values.get(field)
        if allowed is not None and not set(values) <= allowed:
            raise ValueError(f"{where}: {sorted(set(values) - allowed)} are not codes of {field}")


def _parse_tags(
    data: Any, fields: list[dict[str, Any]], items: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    file = "tags.yaml"
    _check_keys(file, "top level", data, ("categories", "tags"), ("categories", "tags"))
    categories, cat_codes = [], set()
    for index, item in enumerate(data["categories"] or [], start=1):
        entry = f"category #{index}"
        _check_keys(file, entry, item, ("code", "name"), ("code", "name"))
        entry = f"category {item['code']!r}"
        code = _code(file, entry, item["code"], cat_codes)
        categories.append(
            {"code": code, "name": _text(file, entry, "name", item["name"]), "sort_order": index}
        )

    values_by_list: dict[str, set[str]] = {}
    for it in items:
        values_by_list.setdefault(it["list_code"], set()).add(it["code"])
    columns = {entity: {"status"} for entity in ENTITIES}
    code_values: dict[str, dict[str, set[str]]] = {entity: {} for entity in ENTITIES}
    for f in fields:
        if f["column_name"]:
            columns[f["entity"]].add(f["column_name"])
            if f["code_list"]:
                code_values[f["entity"]][f["column_name"]] = values_by_list[f["code_list"]]

    keys = ("code", "name", "category", "parent", "entity", "kind", "sensitivity", "description")
    tags, codes = [], set()
    raw = data["tags"]
    if not isinstance(raw, list) or not raw:
        raise CatalogError(file, "tags", "must be a non-empty list")
    for index, item in enumerate(raw, start=1):
        entry = f"tag #{index}"
        _check_keys(file, entry, item, (*keys, "rule"), keys[:-1])
        entry = f"tag {item['code']!r}"
        code = _code(file, entry, item["code"], codes)
        if item["category"] not in cat_codes:
            raise CatalogError(file, entry, f"unknown category {item['category']!r}")
        entity = _one_of(file, entry, "entity", item["entity"], ENTITIES)
        kind = _one_of(file, entry, "kind", item["kind"], TAG_KINDS)
        rule = item.get("rule")
        if kind == "rule":
            try:
                check_rule(rule, entity, columns[entity], code_values[entity])
            except ValueError as exc:
                raise CatalogError(file, entry, f"bad rule: {exc}") from exc
        elif rule is not None:
            raise CatalogError(file, entry, f"only rule tags have a rule (kind is {kind})")
        tags.append(
            {
                "code": code,
                "name": _text(file, entry, "name", item["name"]),
                "category": item["category"],
                "parent": item["parent"],
                "entity": entity,
                "kind": kind,
                "rule": rule,
                "sensitivity": _one_of(
                    file, entry, "sensitivity", item["sensitivity"], SENSITIVITIES
                ),
                "description": _text(
                    file, entry, "description", item.get("description"), optional=True
                ),
                "sort_order": index,
            }
        )

    by_code = {t["code"]: t for t in tags}
    for tag in tags:
        entry = f"tag {tag['code']!r}"
        parent = tag["parent"]
        if parent is None:
            continue
        if parent not in by_code:
            raise CatalogError(file, entry, f"unknown parent {parent!r}")
        for key in ("entity", "category"):
            if by_code[parent][key] != tag[key]:
                raise CatalogError(
                    file,
                    entry,
                    f"{key} {tag[key]!r} differs from parent's {by_code[parent][key]!r}",
                )
        seen = {tag["code"]}
        while parent is not None:
            if parent in seen:
                raise CatalogError(file, entry, f"parent chain loops back to {parent!r}")
            seen.add(parent)
            parent = by_code[parent]["parent"]
    return categories, tags


def read_catalog(catalog_dir: Path | str | None = None) -> Catalog:
    """Read and validate the YAML files; raise CatalogError naming the file and entry."""
    directory = Path(catalog_dir or config.CATALOG_DIR)
    org_units = _parse_org_units(_read_yaml(directory, "org_units.yaml"))
    departments = _parse_departments(_read_yaml(directory, "departments.yaml"))
    code_lists, code_items = _parse_code_lists(_read_yaml(directory, "code_lists.yaml"))
    fields = _parse_fields(_read_yaml(directory, "fields.yaml"), {c["code"] for c in code_lists})
    tag_categories, tags = _parse_tags(_read_yaml(directory, "tags.yaml"), fields, code_items)
    return Catalog(org_units, departments, code_lists, code_items, fields, tag_categories, tags)


# ---------------------------------------------------------------------------------------------
# Loading


def _columns(rows: list[dict[str, Any]], names: Iterable[str]) -> dict[str, list[Any]]:
    """Rows → parallel lists, the shape the catalog/upsert_*.sql statements unnest."""
    return {name: [row[name] for row in rows] for name in names}


def _check_columns(cur: duckdb.DuckDBPyConnection, fields: list[dict[str, Any]]) -> None:
    table_columns: dict[str, set[str]] = {}
    for entity, column in db.run(cur, "catalog/entity_columns").fetchall():
        table_columns.setdefault(entity, set()).add(column)
    for f in fields:
        column = f["column_name"]
        if column is None:
            continue
        if column not in table_columns.get(f["entity"], set()) or column in NON_FIELD_COLUMNS:
            raise CatalogError(
                "fields.yaml",
                f"field {f['code']!r}",
                f"{f['entity']} has no field column {column!r} (use column_name: null for attrs)",
            )


def load_catalog(
    cur: duckdb.DuckDBPyConnection, catalog_dir: Path | str | None = None
) -> dict[str, int]:
    """Validate the catalogue and upsert it into the reference tables on `cur`.

    Run it inside the caller's transaction. Idempotent: rows are matched by code, tag ids are
    kept by code (a new tag gets the next free id), and rows that are no longer in the files
    are left alone, because field definitions and tags may also be added in the console.
    Returns the number of rows loaded per table.
    """
    cat = read_catalog(catalog_dir)
    _check_columns(cur, cat.fields)

    before = {row[0]: row[1:] for row in db.run(cur, "catalog/tag_rules").fetchall()}
    ids = dict(db.run(cur, "catalog/tag_ids").fetchall())
    next_id = max(ids.values(), default=0) + 1
    for tag in cat.tags:
        if tag["code"] not in ids:
            ids[tag["code"]] = next_id
            next_id += 1
    tag_rows = [
        {
            **tag,
            "id": ids[tag["code"]],
            "parent_id": None if tag["parent"] is None else ids[tag["parent"]],
            "rule": None if tag["rule"] is None else json.dumps(tag["rule"], ensure_ascii=False),
        }
        for tag in cat.tags
    ]

    loads = (
        ("org_unit", "catalog/upsert_org_units", cat.org_units),
        ("department", "catalog/upsert_departments", cat.departments),
        ("code_list", "catalog/upsert_code_lists", cat.code_lists),
        ("code_item", "catalog/upsert_code_items", cat.code_items),
        ("field_def", "catalog/upsert_field_defs", cat.fields),
        ("tag_category", "catalog/upsert_tag_categories", cat.tag_categories),
        ("tag", "catalog/upsert_tags", tag_rows),
    )
    counts = {}
    for table, query_name, rows in loads:
        db.run(cur, query_name, **_columns(rows, db.query(query_name).params))
        counts[table] = len(rows)
    counts.update(_load_rules(cur, tag_rows, before))
    return counts


def _same_rule(a: Any, b: Any) -> bool:
    def parse(rule: Any) -> Any:
        return json.loads(rule) if isinstance(rule, str) else rule

    return parse(a) == parse(b)


def _load_rules(
    cur: duckdb.DuckDBPyConnection, tag_rows: list[dict[str, Any]], before: dict[str, tuple]
) -> dict[str, int]:
    """New catalogue rules of existing tags: followed where nobody edited the rule here, offered
    to the admin where somebody did. Returns how many of each (only when there are any)."""
    applied = offered = 0
    for tag in tag_rows:
        if tag["code"] not in before:
            continue  # a new tag was inserted with its rule
        _entity, rule, catalog_rule, edited = before[tag["code"]]
        new = tag["rule"]
        if edited:
            if not _same_rule(new, catalog_rule):
                offer = None if _same_rule(new, rule) else new
                db.run(cur, "catalog/offer_catalog_rule", code=tag["code"], rule=new, offered=offer)
                offered += offer is not None
        elif not (_same_rule(new, rule) and _same_rule(new, catalog_rule)):
            db.run(cur, "catalog/apply_catalog_rule", code=tag["code"], rule=new)
            applied += 1
    return {k: v for k, v in (("tag_rules_updated", applied), ("tag_rules_offered", offered)) if v}


def rule_snapshot(cur: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, Any]]:
    """code → (entity, rule in use): what a start compares to know which tags to refresh."""
    return {
        code: (entity, json.loads(rule) if isinstance(rule, str) else rule)
        for code, entity, rule, _catalog_rule, _edited in db.run(
            cur, "catalog/tag_rules"
        ).fetchall()
    }


# ---------------------------------------------------------------------------------------------
# Read helpers for pages (reference data is public: no Scope)


def org_units_under(org_code: str, level: str | None = None) -> list[dict[str, Any]]:
    """The org unit `org_code` and everything below it (optionally one level), in tree order."""
    return db.fetch_dicts("catalog/org_units_under", org_code=org_code, level=level)


def org_names(org_code: str) -> dict[str, str]:
    """Code → short name of every unit under `org_code` (cached per catalogue version)."""

    def build(org_code: str) -> dict[str, str]:
        return {u["code"]: u["name"] for u in org_units_under(org_code)}

    return db.catalog_cached("org_names", build, org_code)


def org_labels(org_code: str) -> dict[str, str]:
    """Code → org_label of every unit under `org_code` (cached per catalogue version): a
    selectbox of a district's 600 grids formats its options from one read, not one query each."""

    def build(org_code: str) -> dict[str, str]:
        return {u["code"]: u["full_name"].replace("/", " › ") for u in org_units_under(org_code)}

    return db.catalog_cached("org_labels", build, org_code)


def next_level(org_code: str) -> str:
    """The level one below an org unit (a grid's own level for a grid)."""
    return {6: "street", 9: "community"}.get(len(org_code), "grid")


def org_children(org_code: str) -> list[dict[str, Any]]:
    """Direct children of an org unit, in display order (for drill-down)."""
    return db.fetch_dicts("catalog/org_children", org_code=org_code)


def org_unit(code: str) -> dict[str, Any] | None:
    """One org unit as a dict, or None."""
    rows = db.fetch_dicts("catalog/org_unit", code=code)
    return rows[0] if rows else None


def org_name(code: str) -> str | None:
    """Short name of an org unit (e.g. 天仙社区), or None if unknown."""
    unit = org_unit(code)
    return None if unit is None else unit["name"]


def org_path(code: str) -> str | None:
    """Full path of an org unit (e.g. 上城区/闸弄口街道/天仙社区), or None if unknown."""
    unit = org_unit(code)
    return None if unit is None else unit["full_name"]


def org_label(code: str) -> str:
    """The org path as users read it: 上城区 › 闸弄口街道 › 天仙社区."""
    return (org_path(code) or code).replace("/", " › ")


def departments() -> dict[str, str]:
    """Department code → name, in display order."""
    return dict(db.fetch_all("catalog/departments"))


def department_name(code: str) -> str | None:
    """Name of a department (e.g. 区卫健局), or None if unknown."""
    return db.fetch_value("catalog/department_name", code=code)


def code_lists() -> dict[str, str]:
    """Code list code → name (e.g. ethnicity → 民族)."""
    return {code: name for code, name, _ in db.fetch_all("catalog/code_lists")}


def field_defs(entity: str | None = None) -> list[dict[str, Any]]:
    """Active field definitions of one entity (or all), in display order (cached per catalogue
    version; each caller gets its own copies)."""
    if entity is not None and entity not in ENTITIES:
        raise ValueError(f"unknown entity {entity!r}")
    defs = db.catalog_cached("field_defs", _field_defs, entity)
    return [dict(f) for f in defs]


def _field_defs(entity: str | None) -> tuple[dict[str, Any], ...]:
    return tuple(db.fetch_dicts("catalog/field_defs", entity=entity))


def code_items(list_code: str) -> dict[str, str]:
    """Code → name of one code list, in display order (empty if the list is unknown; cached per
    catalogue version, a copy per caller)."""
    return dict(db.catalog_cached("code_items", _code_items, list_code))


def _code_items(list_code: str) -> dict[str, str]:
    return dict(db.fetch_all("catalog/code_items", list_code=list_code))


def tag_tree() -> list[dict[str, Any]]:
    """Active tags in tree order, parents before children.

    Keys: id, code, name, category, category_name, parent_id, parent and parent_code (both the
    parent's tag code), depth, entity, kind, rule (a dict or None), sensitivity, description.
    """
    rows = db.fetch_dicts("catalog/tag_tree")
    for row in rows:
        if isinstance(row["rule"], str):
            row["rule"] = json.loads(row["rule"])
    return rows
