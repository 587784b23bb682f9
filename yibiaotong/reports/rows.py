"""Report rows: counted and fetched in batches from one snapshot, presented (codes, masks, derived)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from yibiaotong import catalog, conditions, db, masking, tag_query, tags
from yibiaotong.reports.plan import LEVELS, Prepared

PREVIEW_ROWS = 20
BATCH = 2000


def count(prepared: Prepared, cur: duckdb.DuckDBPyConnection | None = None) -> int:
    """Rows the report will have (units for a summary)."""
    if prepared.kind == "summary":
        return len(_units(prepared))
    if cur is None:
        with db.cursor() as c:
            return count(prepared, c)
    return cur.execute(prepared.count_sql, prepared.count_params).fetchone()[0]


def _allowance(age: int | None, bands: Sequence[tuple[int, float]]) -> float | None:
    if age is None:
        return None
    amount = None
    for lo, value in bands:
        if age >= lo:
            amount = value
    return amount


def _related(cur, prepared: Prepared, records: Sequence[dict]) -> tuple[dict, dict]:
    """For a batch with columns about other people: row id → {relation: person id}, and those
    people (residents inside the caller's unit only) by id."""
    if not any(c.source == "related" for c in prepared.columns):
        return {}, {}
    ids = [r["id"] for r in records]
    if prepared.template["definition"]["entity"] == "resident":
        links = {
            p["id"]: {
                "head": p["head_id"],
                "spouse": p["spouse_id"],
                "father": p["father_id"],
                "mother": p["mother_id"],
            }
            for p in db.run_ids(cur, "reports/related_people", ids)
        }
    else:
        links = {
            h["id"]: {"head": h["head_id"]} for h in db.run_ids(cur, "reports/household_heads", ids)
        }
    wanted = [pid for row in links.values() for pid in row.values()]
    people = {
        p["id"]: p
        for p in db.run_ids(cur, "reports/people", wanted, org_code=prepared.scope.org_code)
    }
    return links, people


def _mask(column, value: Any) -> Any:
    return masking.mask_value("code" if column.ref.code_list else column.ref.data_type, value)


def _getters(prepared, households, parents, occupants, links, people, orgs, code_names):
    """One function per column turning a fetched record into the value shown."""
    entity = prepared.template["definition"]["entity"]
    today = prepared.as_of
    masked = prepared.masked
    own_household = "household_id" if entity == "resident" else "id"

    def household(key):
        return lambda r: (households.get(r.get(own_household)) or {}).get(key)

    def field(c):
        names = code_names.get(c.key) if c.ref.code_list else None
        hide = c.sensitive and masked

        def get(r):
            value = r.get(c.key)
            if value is None:
                return None
            if names is not None:
                value = names.get(str(value), value)
            return _mask(c, value) if hide else value

        return get

    def related(c):
        names = code_names.get(c.key) if c.ref is not None and c.ref.code_list else None
        hide = c.sensitive and masked

        def get(r):
            person = people.get((links.get(r["id"]) or {}).get(c.relation))
            if person is None:
                return None
            if c.key == "age":
                return conditions.age_on(person.get("birth_date"), today)
            value = person.get(c.key)
            if value is None:
                return None
            if names is not None:
                value = names.get(str(value), value)
            return _mask(c, value) if hide else value

        return get

    derived = {
        "age": lambda c: lambda r: conditions.age_on(r.get("birth_date"), today),
        "street": lambda c: lambda r: orgs.get((r["grid_code"] or "")[:9]),
        "community": lambda c: lambda r: orgs.get((r["grid_code"] or "")[:12]),
        "grid": lambda c: lambda r: orgs.get(r["grid_code"] or ""),
        "household_no": lambda c: household("household_no"),
        "head_name": lambda c: household("head_name"),
        "member_count": lambda c: household("members"),
        "mother_name": lambda c: lambda r: parents.get(r.get("mother_id")),
        "father_name": lambda c: lambda r: parents.get(r.get("father_id")),
        "childcare_subsidy": lambda c: lambda r: tag_query.subsidy_for(r.get("birth_order")),
        "elderly_allowance": lambda c: (
            lambda r: _allowance(conditions.age_on(r.get("birth_date"), today), c.bands)
        ),
        "occupant_count": lambda c: lambda r: occupants.get(r["id"], 0),
    }
    out = []
    for c in prepared.columns:
        if c.source == "field":
            out.append(field(c))
        elif c.source == "derived":
            out.append(derived.get(c.key, lambda c: lambda r: None)(c))
        elif c.source == "related":
            out.append(related(c))
        else:
            out.append(lambda r: None)
    level = LEVELS.get(prepared.group_by or "", 0)
    out.append(
        (lambda r: orgs.get((r["grid_code"] or "")[:level], (r["grid_code"] or "")[:level]))
        if level
        else (lambda r: None)
    )
    return out


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
    households: dict[int, dict] = {}
    parents: dict[int, str] = {}
    occupants: dict[int, int] = {}
    if wanted & {"household_no", "head_name", "member_count"}:
        key = "household_id" if entity == "resident" else "id"
        households = {
            h["id"]: h for h in db.run_ids(cur, "reports/household_info", [r[key] for r in records])
        }
    if wanted & {"mother_name", "father_name"}:
        ids = [r.get("mother_id") for r in records] + [r.get("father_id") for r in records]
        parents = {p["id"]: p["name"] for p in db.run_ids(cur, "tag_query/resident_names", ids)}
    if "occupant_count" in wanted:
        occupants = {
            h["house_id"]: h["occupants"]
            for h in db.run_ids(cur, "reports/house_occupants", [r["id"] for r in records])
        }
    links, people = _related(cur, prepared, records)
    getters = _getters(prepared, households, parents, occupants, links, people, orgs, code_names)
    for r in records:
        yield [get(r) for get in getters]


def iter_rows(
    prepared: Prepared, cur: duckdb.DuckDBPyConnection | None = None, limit: int | None = None
) -> Iterator[list[Any]]:
    """Every report row, presented (code names, masking, derived values), fetched in batches.
    Each row has one value per column plus a trailing group key (org name or None)."""
    if prepared.kind == "summary":
        yield from _summary_rows(prepared)
        return
    orgs = catalog.org_names(prepared.org_code[:6])
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
