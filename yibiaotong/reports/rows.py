"""Report rows: counted and fetched in batches from one snapshot, presented (codes, masks, derived)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from yibiaotong import audit, catalog, conditions, db, masking, tag_query, tags
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


def _related(cur, prepared: Prepared, ids: Sequence[int]) -> tuple[dict, dict]:
    """For a batch with columns about other people: row id → {relation: person id}, and those
    people (residents inside the caller's unit only) by id."""
    if not any(c.source == "related" for c in prepared.columns):
        return {}, {}
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


class _Batch:
    """One fetched batch of rows (tuples) and what its derived and related columns look up."""

    def __init__(self, prepared: Prepared, cur, names: Sequence[str], rows: Sequence[tuple]):
        self.pos = {name: i for i, name in enumerate(names)}
        entity = prepared.template["definition"]["entity"]
        wanted = {c.key for c in prepared.columns if c.source == "derived"}
        own = self.column("household_id" if entity == "resident" else "id")
        ids = [r[self.pos["id"]] for r in rows]
        self.households: dict[int, dict] = {}
        self.parents: dict[int, str] = {}
        self.occupants: dict[int, int] = {}
        if wanted & {"household_no", "head_name", "member_count"}:
            found = db.run_ids(cur, "reports/household_info", [own(r) for r in rows])
            self.households = {h["id"]: h for h in found}
        if wanted & {"mother_name", "father_name"}:
            mother, father = self.column("mother_id"), self.column("father_id")
            parent_ids = [mother(r) for r in rows] + [father(r) for r in rows]
            found = db.run_ids(cur, "tag_query/resident_names", parent_ids)
            self.parents = {p["id"]: p["name"] for p in found}
        if "occupant_count" in wanted:
            found = db.run_ids(cur, "reports/house_occupants", ids)
            self.occupants = {h["house_id"]: h["occupants"] for h in found}
        self.links, self.people = _related(cur, prepared, ids)

    def column(self, name: str):
        """A function reading one fetched column of a row (None when it was not fetched)."""
        i = self.pos.get(name)
        return (lambda r: r[i]) if i is not None else (lambda r: None)


def _getters(prepared: Prepared, batch: _Batch, orgs, code_names):
    """One function per column turning a fetched row into the value shown, then the group key."""
    entity = prepared.template["definition"]["entity"]
    today = prepared.as_of
    masked = prepared.masked
    col = batch.column
    row_id, grid, born = col("id"), col("grid_code"), col("birth_date")
    own_household = col("household_id" if entity == "resident" else "id")

    def household(key):
        return lambda r: (batch.households.get(own_household(r)) or {}).get(key)

    def shown(c, value):
        if value is None:
            return None
        names = code_names.get(c.key) if c.ref is not None and c.ref.code_list else None
        if names is not None:
            value = names.get(str(value), value)
        return _mask(c, value) if c.sensitive and masked else value

    def field(c):
        read = col(c.key)
        if not (c.ref.code_list or (c.sensitive and masked)):
            return read
        return lambda r: shown(c, read(r))

    def related(c):
        def person(r):
            return batch.people.get((batch.links.get(row_id(r)) or {}).get(c.relation))

        if c.key == "age":
            return lambda r: conditions.age_on((person(r) or {}).get("birth_date"), today)
        return lambda r: shown(c, (person(r) or {}).get(c.key))

    def unit(length):
        return lambda r: orgs.get((grid(r) or "")[:length])

    derived = {
        "age": lambda c: lambda r: conditions.age_on(born(r), today),
        "street": lambda c: unit(9),
        "community": lambda c: unit(12),
        "grid": lambda c: unit(15),
        "household_no": lambda c: household("household_no"),
        "head_name": lambda c: household("head_name"),
        "member_count": lambda c: household("members"),
        "mother_name": lambda c: lambda r: batch.parents.get(col("mother_id")(r)),
        "father_name": lambda c: lambda r: batch.parents.get(col("father_id")(r)),
        "childcare_subsidy": lambda c: lambda r: tag_query.subsidy_for(col("birth_order")(r)),
        "elderly_allowance": lambda c: (
            lambda r: _allowance(conditions.age_on(born(r), today), c.bands)
        ),
        "occupant_count": lambda c: lambda r: batch.occupants.get(row_id(r), 0),
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
        (lambda r: orgs.get((grid(r) or "")[:level], (grid(r) or "")[:level]))
        if level
        else (lambda r: None)
    )
    return out


def _present_batch(
    prepared: Prepared,
    cur: duckdb.DuckDBPyConnection,
    names: Sequence[str],
    rows: Sequence[tuple],
    orgs: Mapping[str, str],
    code_names: Mapping[str, Mapping[str, str]],
) -> Iterator[list[Any]]:
    """Display rows (one value per column, then the group key) for one fetched batch."""
    getters = _getters(prepared, _Batch(prepared, cur, names, rows), orgs, code_names)
    for r in rows:
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
    if rows and not prepared.masked and any(c.sensitive for c in prepared.columns):
        audit.viewed(
            prepared.scope,
            "list_view",
            ("report", prepared.code, prepared.org_code),
            f"报表预览 {prepared.template['name']}（{prepared.org_code}）：前 {len(rows)} 行，"
            "含未脱敏敏感字段",
        )
    frame = pd.DataFrame([r[: len(labels)] for r in rows], columns=labels)
    frame.insert(0, "序号", range(1, len(frame) + 1))
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(lambda v: v.isoformat() if isinstance(v, date) else v)
    return frame, total
