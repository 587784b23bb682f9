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
    people: dict[int, str] = {}
    occupants: dict[int, int] = {}
    if wanted & {"household_no", "head_name", "member_count"}:
        key = "household_id" if entity == "resident" else "id"
        households = {
            h["id"]: h for h in db.run_ids(cur, "reports/household_info", [r[key] for r in records])
        }
    if wanted & {"mother_name", "father_name"}:
        ids = [r.get("mother_id") for r in records] + [r.get("father_id") for r in records]
        people = {p["id"]: p["name"] for p in db.run_ids(cur, "tag_query/resident_names", ids)}
    if "occupant_count" in wanted:
        occupants = {
            h["house_id"]: h["occupants"]
            for h in db.run_ids(cur, "reports/house_occupants", [r["id"] for r in records])
        }
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
                    value = conditions.age_on(r.get("birth_date"), today)
                elif key == "street":
                    value = orgs.get(grid[:9])
                elif key == "community":
                    value = orgs.get(grid[:12])
                elif key == "grid":
                    value = orgs.get(grid)
                elif key == "household_no":
                    value = household["household_no"] if household else None
                elif key == "head_name":
                    value = household["head_name"] if household else None
                elif key == "member_count":
                    value = household["members"] if household else None
                elif key == "mother_name":
                    value = people.get(r.get("mother_id"))
                elif key == "father_name":
                    value = people.get(r.get("father_id"))
                elif key == "childcare_subsidy":
                    value = tag_query.subsidy_for(r.get("birth_order"))
                elif key == "elderly_allowance":
                    value = _allowance(conditions.age_on(r.get("birth_date"), today), c.bands)
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
