"""The backflow source catalogue (data/catalog/sources.yaml): who may set which field, with which
priority, and which import tags each source owns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import yaml

from yibiaotong import catalog, config, db
from yibiaotong.ledger import EVENT_ONLY_COLUMNS

CONSOLE = "console"  # hand entry in the console, and ledger values without provenance
# Columns set only by placement, household linking or life events, never from a file's column.
UNIMPORTABLE_COLUMNS = EVENT_ONLY_COLUMNS
KEY_FIELDS = {
    "resident": "resident_id_number",
    "shop": "shop_uscc",
    "house": "house_no",
    "household": "household_no",
}
_SOURCE_KEYS = (
    "code",
    "name",
    "department",
    "entity",
    "importable",
    "description",
    "fields",
    "tags",
)


@dataclass(frozen=True)
class Source:
    code: str
    name: str
    department: str | None
    department_name: str | None
    entity: str
    importable: bool
    description: str | None
    priorities: dict[str, int]  # field code → priority
    tags: tuple[str, ...]

    @property
    def key_field(self) -> str:
        return KEY_FIELDS[self.entity]


def _fail(entry: str, problem: str) -> None:
    raise catalog.CatalogError("sources.yaml", entry, problem)


def read_sources(catalog_dir: Path | str | None = None) -> list[dict[str, Any]]:
    """Validate sources.yaml against the field standard and tag taxonomy (no database)."""
    directory = Path(catalog_dir or config.CATALOG_DIR)
    cat = catalog.read_catalog(directory)
    data = yaml.safe_load((directory / "sources.yaml").read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        _fail("top level", "expected `sources:` with a list")
    fields = {f["code"]: f for f in cat.fields}
    import_tags = {t["code"]: t for t in cat.tags if t["kind"] == "import"}
    departments = {d["code"] for d in cat.departments}
    owners: dict[str, str] = {}
    seen: set[str] = set()
    rows = []
    for index, item in enumerate(data["sources"], start=1):
        entry = f"source #{index}"
        catalog._check_keys("sources.yaml", entry, item, _SOURCE_KEYS, ("code", "name", "entity"))
        code = catalog._code("sources.yaml", entry, item["code"], seen)
        entry = f"source {code}"
        entity = catalog._one_of("sources.yaml", entry, "entity", item["entity"], catalog.ENTITIES)
        department = item.get("department")
        if department is not None and department not in departments:
            _fail(entry, f"department {department!r} is not in departments.yaml")
        priorities = item.get("fields") or {}
        if not isinstance(priorities, dict) or not priorities:
            _fail(entry, "fields must map field codes to priorities")
        for field, priority in priorities.items():
            f = fields.get(field)
            if f is None or f["entity"] != entity:
                _fail(entry, f"field {field!r} is not a {entity} field of fields.yaml")
            if f["column_name"] in UNIMPORTABLE_COLUMNS or field == KEY_FIELDS[entity]:
                _fail(entry, f"field {field!r} is set by placement or events, not by files")
            if isinstance(priority, bool) or not isinstance(priority, int):
                _fail(entry, f"priority of {field!r} must be an integer 1..100")
            if not 1 <= priority <= 100:
                _fail(entry, f"priority of {field!r} must be 1..100")
        tags = item.get("tags") or []
        for tag in tags:
            if tag not in import_tags or import_tags[tag]["entity"] != entity:
                _fail(entry, f"tag {tag!r} is not an import tag of {entity}")
            if tag in owners:
                _fail(entry, f"tag {tag!r} is already owned by {owners[tag]}")
            owners[tag] = code
        importable = item.get("importable", True)
        if not isinstance(importable, bool):
            _fail(entry, "importable must be true or false")
        rows.append(
            {
                "code": code,
                "name": catalog._text("sources.yaml", entry, "name", item["name"]),
                "department": department,
                "entity": entity,
                "importable": importable,
                "description": item.get("description"),
                "sort_order": index,
                "fields": priorities,
                "tags": list(tags),
            }
        )
    if CONSOLE not in seen:
        _fail("top level", f"the hand-entry source {CONSOLE!r} is required")
    return rows


def read_code_synonyms(catalog_dir: Path | str | None = None) -> list[tuple[str, str, str]]:
    directory = Path(catalog_dir or config.CATALOG_DIR)
    data = yaml.safe_load((directory / "code_synonyms.yaml").read_text(encoding="utf-8")) or {}
    lists = {c["code"]: c for c in catalog.read_catalog(directory).code_lists}
    items = {(i["list_code"], i["code"]) for i in catalog.read_catalog(directory).code_items}
    out = []
    for list_code, spellings in data.items():
        if list_code not in lists:
            raise catalog.CatalogError("code_synonyms.yaml", list_code, "unknown code list")
        for spelling, code in spellings.items():
            if (list_code, str(code)) not in items:
                raise catalog.CatalogError(
                    "code_synonyms.yaml", f"{list_code}.{spelling}", f"unknown code {code!r}"
                )
            out.append((list_code, str(spelling), str(code)))
    return out


def load_sources(cur: duckdb.DuckDBPyConnection, catalog_dir: Path | str | None = None) -> int:
    """Upsert the source catalogue and the code synonyms inside the caller's transaction."""
    rows = read_sources(catalog_dir)
    for row in rows:
        db.run(
            cur,
            "importing/upsert_source",
            **{k: row[k] for k in _SOURCE_KEYS if k not in ("fields", "tags")},
            sort_order=row["sort_order"],
        )
        fields = list(row["fields"])
        db.run(cur, "importing/delete_source_fields", source=row["code"], fields=fields)
        db.run(cur, "importing/delete_source_tags", source=row["code"], tags=row["tags"])
        db.run(
            cur,
            "importing/replace_source_fields",
            source=row["code"],
            fields=fields,
            priorities=[row["fields"][f] for f in fields],
        )
        db.run(cur, "importing/replace_source_tags", source=row["code"], tags=row["tags"])
    synonyms = read_code_synonyms(catalog_dir)
    db.run(
        cur,
        "importing/load_code_synonyms",
        lists=[s[0] for s in synonyms],
        synonyms=[s[1] for s in synonyms],
        codes=[s[2] for s in synonyms],
    )
    return len(rows)


def sources(importable_only: bool = False) -> list[Source]:
    """Every source of the catalogue, in catalogue order."""
    out = []
    for r in db.fetch_dicts("importing/list_sources"):
        if importable_only and not r["importable"]:
            continue
        out.append(
            Source(
                r["code"],
                r["name"],
                r["department"],
                r["department_name"],
                r["entity"],
                r["importable"],
                r["description"],
                {f["field"]: f["priority"] for f in r["fields"]},
                tuple(r["tags"]),
            )
        )
    return out


def source(code: str) -> Source | None:
    return next((s for s in sources() if s.code == code), None)
